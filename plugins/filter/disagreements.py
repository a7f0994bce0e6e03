# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.disagreements filter: shared values the roles on a host disagree on."""

from __future__ import annotations

DOCUMENTATION = r"""
name: disagreements
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: One message per shared value (the app's root, socket, ...) that two roles on a host disagree on
description:
  - Each role's preflight notes the shared values it uses, under the variable that holds each, in the host fact
    C(__webstack_contract). The site, deploy and rollback playbooks refuse a run in which two of them differ, say
    C(python_app_root) set alone while the other roles keep C(webstack_app_root).
options:
  _input:
    description: "A mapping of shared value to C({variable: value})."
    type: dict
    required: true
  secret:
    description: Shared values whose values a message never shows (passwords).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Check that the roles agree
  ansible.builtin.assert:
    that: __disagreements | length == 0
    fail_msg: "{{ __disagreements | join('; ') }}"
  vars:
    __disagreements: "{{ __webstack_contract | webstack.django.disagreements(secret=['db_password']) }}"
"""

RETURN = r"""
_value:
  description: One message per shared value the roles disagree on, naming the variables.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.plugin_utils import validate


def disagreements(contract: object, secret: object = ()) -> list[str]:
    try:
        return validate.disagreements(contract, secret or ())
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class FilterModule:
    def filters(self) -> dict:
        return {"disagreements": disagreements}
