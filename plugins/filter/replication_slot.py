# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.replication_slot filter: a standby's replication slot name on its primary."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: replication_slot
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: A standby's replication slot name on its primary
description:
  - Takes a standby's inventory name and gives the name of its physical replication slot on the primary, the one
    name both hosts use (the primary creates the slot, the standby streams through it).
  - With the play's C(hostvars), the standby's own C(postgresql_replication_slot) wins when its inventory sets one.
  - Otherwise the inventory name, lower-cased, each character a slot name cannot hold (anything but a-z, 0-9 and
    C(_)) made C(_), cut to PostgreSQL's 63 characters.
options:
  _input:
    description: The standby's inventory name.
    type: str
    required: true
  hostvars:
    description: The play's C(hostvars), to read the standby's own C(postgresql_replication_slot).
    type: dict
"""

EXAMPLES = r"""
- name: Name a slot per standby on the primary
  ansible.builtin.set_fact:
    webstack_db_standby_slots: "{{ groups['dbstandby'] | map('webstack.django.replication_slot', hostvars) | list }}"
"""

RETURN = r"""
_value:
  description: The slot name.
  type: str
"""

VARIABLE = "postgresql_replication_slot"
# PostgreSQL's NAMEDATALEN - 1.
LONGEST = 63


def replication_slot(name: object, hostvars: Mapping | None = None) -> str:
    if not isinstance(name, str) or not name:
        raise AnsibleFilterError(f"replication_slot takes an inventory name, got {name!r}")
    if hostvars is not None and name in hostvars:
        chosen = hostvars[name].get(VARIABLE)
        if chosen:
            return str(chosen)
    return re.sub(r"[^a-z0-9_]", "_", name.lower())[:LONGEST]


class FilterModule:
    def filters(self) -> dict:
        return {"replication_slot": replication_slot}
