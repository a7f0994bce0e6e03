# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.host_addresses filter: inventory names with the address each host is reached at."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: host_addresses
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: Inventory names paired with the address each host is reached at
description:
  - Takes a list of inventory names and the play's C(hostvars), and gives one C({name, address}) per host, in the
    list's order, the address being the host's C(webstack_private_address) (which C(webstack.django.topology) sets).
  - The balancers name their backends with it (C(webstack_lb_backends)).
options:
  _input:
    description: Inventory names.
    type: list
    elements: str
    required: true
  hostvars:
    description: The play's C(hostvars).
    type: dict
    required: true
  variable:
    description: The host variable that holds the address.
    type: str
    default: webstack_private_address
"""

EXAMPLES = r"""
- name: Name the web hosts and their addresses
  ansible.builtin.set_fact:
    webstack_lb_backends: "{{ groups['webservers'] | webstack.django.host_addresses(hostvars) }}"
"""

RETURN = r"""
_value:
  description: One C({name, address}) per host, in the input's order.
  type: list
  elements: dict
"""


def host_addresses(names: object, hostvars: Mapping, variable: str = "webstack_private_address") -> list[dict[str, str]]:
    if not isinstance(names, list | tuple):
        raise AnsibleFilterError(f"host_addresses takes a list of inventory names, got {type(names).__name__}")
    pairs = []
    for name in names:
        address = (hostvars[name] if name in hostvars else {}).get(variable)
        if not address:
            raise AnsibleFilterError(f"host_addresses: {name} has no {variable} (run webstack.django.topology first)")
        pairs.append({"name": str(name), "address": str(address)})
    return pairs


class FilterModule:
    def filters(self) -> dict:
        return {"host_addresses": host_addresses}
