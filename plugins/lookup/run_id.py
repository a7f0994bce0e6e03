# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.run_id lookup: this run of ansible-playbook, named for the deploy lock."""

from __future__ import annotations

DOCUMENTATION = r"""
name: run_id
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: This run of ansible-playbook - its machine and process - as the deploy lock names it
description:
  - Without a term, the run's token, C(machine|pid), the controller's name and the ansible-playbook process's
    number, the same for every task of the run and different for a run beside it. The deploy lock
    (M(webstack.django.deploy_lock)) belongs to the run whose token it holds.
  - With the term C(holder), who runs it, as a refused run reads it - C(alice on laptop (ansible-playbook pid 4242)).
  - The test P(webstack.django.ended_run#test) tells a token whose process has ended on this machine.
options:
  _terms:
    description: Nothing, or C(holder).
    required: false
"""

EXAMPLES = r"""
- name: Lock | Take the deploy lock
  webstack.django.deploy_lock:
    path: /run/webstack/shop-deploy.lock
    token: "{{ lookup('webstack.django.run_id') }}"
    holder: "{{ lookup('webstack.django.run_id', 'holder') }}: deploy"
"""

RETURN = r"""
_raw:
  description: The token, or the holder.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.webstack.django.plugins.plugin_utils import run


class LookupModule(LookupBase):
    def run(self, terms: list, variables: dict | None = None, **kwargs: object) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        what = [str(term) for term in terms] or ["token"]
        unknown = [term for term in what if term not in ("token", "holder")]
        if unknown:
            raise AnsibleLookupError(f"run_id: {', '.join(unknown)} is not token or holder")
        return [run.holder() if term == "holder" else run.token() for term in what]
