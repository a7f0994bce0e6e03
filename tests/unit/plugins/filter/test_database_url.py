# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The database_url filter writes a DATABASE_URL that dj-database-url and django-environ read back whole."""

from __future__ import annotations

import string

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.database_url import database_url
from ansible_collections.webstack.django.plugins.filter.database_url_parts import database_url_parts

dj_database_url = pytest.importorskip("dj_database_url")
environ = pytest.importorskip("environ")

# Passwords from generators, and the characters a URL gives a meaning to.
PASSWORDS = [
    "plain",
    string.punctuation,
    "p@ss:w/rd?#[]+ %2B%",
    "$\"'\\`{#{{% é end",
    "".join(chr(c) for c in range(32, 127)),
]
HOSTS = ["localhost", "10.0.0.5", "db.example.com", "fd00::5", "/var/run/postgresql"]


def parsed_by_both(url: str) -> list[dict]:
    return [dj_database_url.parse(url), environ.Env.db_url_config(url)]


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("host", HOSTS)
def test_reads_back_whole(password: str, host: str) -> None:
    url = database_url({"name": "shop", "user": "shop", "password": password, "host": host, "port": 5432,
                        "sslmode": "require"})
    # A socket directory reaches libpq as an option, as sslmode does.
    socket = {"host": host} if host.startswith("/") else {}
    for config in parsed_by_both(url):
        assert (config["NAME"], config["USER"], config["PASSWORD"], config["HOST"] or socket["host"],
                int(config["PORT"])) == ("shop", "shop", password, host, 5432), (url, config)
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert config["OPTIONS"] == {**socket, "sslmode": "require"}, (url, config)


def test_names_with_url_characters_read_back() -> None:
    url = database_url({"name": "shop db+1", "user": "app@shop", "password": "", "host": "localhost", "port": ""})
    assert url == "postgres://app%40shop@localhost/shop%20db%2B1"
    for config in parsed_by_both(url):
        assert (config["NAME"], config["USER"], config["PASSWORD"] or "") == ("shop db+1", "app@shop", "")


@pytest.mark.parametrize(("parts", "message"), [
    ({"user": "shop", "host": "localhost"}, "name is required"),
    ({"name": "shop", "user": "shop", "host": "localhost", "port": "99999"}, "not a port number"),
    ({"name": "shop", "user": "shop", "host": "localhost", "password": "a\nb"}, "control character"),
    ({"name": "shop", "user": ["shop"], "host": "localhost"}, "must be a string"),
])
def test_refuses_parts_that_are_not_a_url(parts: dict, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        database_url(parts)


def test_refuses_what_is_not_a_mapping() -> None:
    with pytest.raises(AnsibleFilterError, match="expects a mapping"):
        database_url("postgres://shop@localhost/shop")


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("host", HOSTS)
def test_parts_read_back_what_database_url_writes(password: str, host: str) -> None:
    parts = {"name": "shop", "user": "shop", "password": password, "host": host, "port": 5432, "sslmode": "require"}
    assert database_url_parts(database_url(parts)) == parts


def test_parts_of_a_url_without_port_or_password() -> None:
    assert database_url_parts("postgres://shop@db.example.com/shop") == {
        "name": "shop", "user": "shop", "password": "", "host": "db.example.com", "port": None, "sslmode": ""}


@pytest.mark.parametrize("url", ["", "shop", "postgres://shop@db:99999/shop"])
def test_parts_refuse_what_is_not_a_database_url(url: str) -> None:
    with pytest.raises(AnsibleFilterError, match="database_url_parts"):
        database_url_parts(url)
