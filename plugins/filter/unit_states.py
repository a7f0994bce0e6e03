# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.unit_states filter: what to do with each of the app's process and timer units."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: unit_states
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The state each of the app's units is put in, for M(webstack.django.units)
description:
  - Takes the units M(webstack.django.process_units#filter) gave and the unit files this run changed, and gives one
    entry per unit for M(webstack.django.units) - every unit enabled and started, and a process whose template unit
    file changed restarted on it (a timer starts its service at its next time, so it is only started).
options:
  _input:
    description: The units, as M(webstack.django.process_units#filter) gives them.
    type: list
    elements: dict
    required: true
  changed_files:
    description: The paths of the unit files this run wrote with a change.
    type: list
    elements: str
    required: true
  directory:
    description: Where the unit files are.
    type: str
    default: /etc/systemd/system
"""

EXAMPLES = r"""
- name: Start each unit, and restart a process whose unit changed
  webstack.django.units:
    units: "{{ units | webstack.django.unit_states(written.results | selectattr('changed') | map(attribute='path') | list) }}"
"""

RETURN = r"""
_value:
  description: One C({name, enabled, state}) per unit, in the input's order.
  type: list
  elements: dict
  sample:
    - {name: shop-worker@1.service, enabled: true, state: restarted}
    - {name: shop-clearsessions.timer, enabled: true, state: started}
"""


def unit_states(units: object, changed_files: object, directory: str = "/etc/systemd/system") -> list[dict]:
    if not isinstance(units, list) or not isinstance(changed_files, list):
        raise AnsibleFilterError("unit_states takes the units (process_units) and the list of unit files that changed")
    changed = set(changed_files)
    return [
        {
            "name": unit["unit"],
            "enabled": True,
            "state": "restarted" if unit["kind"] == "process" and f"{directory}/{unit['template']}" in changed
            else "started",
        }
        for unit in units
    ]


class FilterModule:
    def filters(self) -> dict:
        return {"unit_states": unit_states}
