# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The replication_slot filter: the one slot name a standby and its primary agree on."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.replication_slot import replication_slot


def test_an_inventory_name_in_the_letters_a_slot_takes() -> None:
    assert replication_slot("db2") == "db2"
    assert replication_slot("DB-2.example.com") == "db_2_example_com"
    assert replication_slot("webstack-cluster-db2-trixie") == "webstack_cluster_db2_trixie"


@pytest.mark.parametrize("name", ["é-host", "a b", "x" * 100, "db'; DROP", "UPPER"])
def test_every_name_gives_a_valid_slot(name: str) -> None:
    assert re.fullmatch(r"[a-z0-9_]{1,63}", replication_slot(name))


def test_the_standby_own_choice_wins() -> None:
    hostvars = {"db2": {"postgresql_replication_slot": "standby_east"}, "db3": {}}
    assert replication_slot("db2", hostvars) == "standby_east"
    assert replication_slot("db3", hostvars) == "db3"
    assert replication_slot("db4", hostvars) == "db4"


@pytest.mark.parametrize("bad", ["", None, 3, ["db2"]])
def test_not_a_name_is_refused(bad: object) -> None:
    with pytest.raises(AnsibleFilterError, match="inventory name"):
        replication_slot(bad)
