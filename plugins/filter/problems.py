# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.problems filter: a message for each bad value, naming the variable."""

from __future__ import annotations

DOCUMENTATION = r"""
name: problems
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: One message per bad value, each naming the variable and what is wrong
description:
  - Takes a list of C([variable, kind, value]) entries and checks each value with the collection's validators.
  - Returns an empty list when every value is good; the preflights fail with the list joined.
  - The kinds are those of the R(webstack.django.valid,ansible_collections.webstack.django.valid_test) test.
options:
  _input:
    description: A list of C([variable, kind, value]), or a mapping of variable to C([kind, value]).
    type: raw
    required: true
  host:
    description: A host name to put in front of every message.
    type: str
"""

EXAMPLES = r"""
- name: Check the options
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: >-
      {{ [['base_timezone', 'timezone?', base_timezone],
          ['base_ssh_allow_groups', 'list:login_name', base_ssh_allow_groups]]
         | webstack.django.problems(inventory_hostname) }}
"""

RETURN = r"""
_value:
  description: "One message per bad value, such as C(web1: base_timezone: 'Mars' is not a time zone name)."
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.plugin_utils import validate


def problems(checks: object, host: str | None = None) -> list[str]:
    try:
        return validate.problems(checks, host)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self) -> dict:
        return {"problems": problems}
