# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The host_addresses filter pairs inventory names with their private addresses, in order."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.host_addresses import host_addresses

HOSTVARS = {
    "web2": {"webstack_private_address": "10.0.0.12"},
    "web1": {"webstack_private_address": "10.0.0.11", "other": "x"},
    "bare": {},
}


def test_pairs_in_the_order_given() -> None:
    assert host_addresses(["web1", "web2"], HOSTVARS) == [
        {"name": "web1", "address": "10.0.0.11"},
        {"name": "web2", "address": "10.0.0.12"},
    ]
    assert host_addresses(["web2", "web1"], HOSTVARS)[0]["name"] == "web2"


def test_another_variable() -> None:
    assert host_addresses(["web1"], HOSTVARS, "other") == [{"name": "web1", "address": "x"}]


def test_empty_list() -> None:
    assert host_addresses([], HOSTVARS) == []


@pytest.mark.parametrize("names", [["bare"], ["missing"], "web1"])
def test_a_host_without_an_address_or_a_non_list_is_an_error(names: object) -> None:
    with pytest.raises(AnsibleFilterError):
        host_addresses(names, HOSTVARS)
