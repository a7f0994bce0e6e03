# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.ended_run test: is a run's token that of a process of this machine that has ended?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: ended_run
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Whether a run's token names an ansible-playbook process of this controller that has ended
description:
  - A token (P(webstack.django.run_id#lookup)) is C(machine|pid). It has ended when the machine is this controller
    and no process has that number - the run was killed, or failed where nothing gave its lock back.
  - The token of another machine has not ended as far as this one can tell, nor a value that is not a token. A
    process number used again by another process reads as a run that has not ended - the safe side, the lock is
    kept and broken only on request.
options:
  _input:
    description: The token.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Lock | Take over a lock whose run ended on this controller
  webstack.django.deploy_lock:
    path: /run/webstack/shop-deploy.lock
    token: "{{ lookup('webstack.django.run_id') }}"
    force: true
  when: __lock.lock.token is webstack.django.ended_run
"""

RETURN = r"""
_value:
  description: Whether the run has ended.
  type: bool
"""

from ansible_collections.webstack.django.plugins.plugin_utils.run import ended


class TestModule:
    def tests(self) -> dict:
        return {"ended_run": ended}
