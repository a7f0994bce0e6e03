# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The conninfo filter writes a connection string that libpq reads back whole."""

from __future__ import annotations

import string

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.conninfo import conninfo

PASSWORDS = ["plain", string.punctuation, "a b'c\\d", "$\"'\\`{#{{% é end", "".join(chr(c) for c in range(32, 127))]


@pytest.mark.parametrize("password", PASSWORDS)
def test_libpq_reads_it_back_whole(password: str) -> None:
    # libpq's own parser (psycopg's binary package carries libpq).
    psycopg_conninfo = pytest.importorskip("psycopg.conninfo")
    parts = {"host": "10.0.0.5", "port": 5432, "user": "replicator", "password": password, "sslmode": "require",
             "application_name": "db2"}
    assert psycopg_conninfo.conninfo_to_dict(conninfo(parts)) == {key: str(value) for key, value in parts.items()}


def test_the_form_and_order() -> None:
    assert conninfo({"host": "db", "port": 5432, "password": "it's"}) == "host='db' port='5432' password='it\\'s'"


def test_empty_values_are_left_out() -> None:
    assert conninfo({"host": "db", "password": "", "passfile": None}) == "host='db'"


@pytest.mark.parametrize("parts", [{"host": "a\nb"}, {"Host": "db"}, {"host name": "db"}, {"host": ["db"]}, ["host"]])
def test_refuses(parts: object) -> None:
    with pytest.raises(AnsibleFilterError):
        conninfo(parts)
