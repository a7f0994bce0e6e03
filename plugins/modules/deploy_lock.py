#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Take or give back the lock a deploy holds on a host, so that two deploys never run at once."""

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Take or give back a deploy lock - a file naming who holds it, made atomically
description:
  - A run that changes the site (a deploy, a rollback, a site run) takes the lock before it changes anything and
    gives it back when it ends. A second run meanwhile is refused, and told who holds the lock and since when.
  - The lock is a file made with C(O_EXCL), so that of two runs that try at the same moment one gets it. It holds
    JSON - C(holder), C(token) and C(since) - readable by root only.
  - The lock belongs to the run whose O(token) it holds. Taking it again with the same token changes nothing;
    giving back a lock another run holds leaves it in place, unless O(force).
  - When another run holds the lock, the task does not fail - RV(held) is false and RV(msg) says who holds it and
    since when - so that the caller refuses in its own words (the playbooks name the variable that breaks it).
  - A lock whose run was killed stays until it is broken with O(force) - the module never guesses that a lock is
    stale.
options:
  path:
    description:
      - The lock file. Its directory is made, readable by root only, when it is missing (its parent must exist).
      - A lock file that is a symbolic link is refused, not followed.
    type: path
    required: true
  state:
    description: V(held) takes the lock (or keeps it, with the same token); V(released) gives it back.
    type: str
    choices: [held, released]
    default: held
  token:
    description: This run's own value, the same for every task of the run.
    type: str
    required: true
  holder:
    description: Who takes the lock, as the runs it refuses will read it (user, machine, playbook).
    type: str
    default: ""
  force:
    description:
      - With V(held), take the lock from the run that holds it; with V(released), remove it whoever holds it.
      - For a lock left by a run that was killed; the lock broken is returned as RV(previous).
    type: bool
    default: false
attributes:
  check_mode:
    description: Reads the lock and refuses as it would; takes, breaks or removes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
"""

EXAMPLES = r"""
- name: Lock | Take the deploy lock, or learn who holds it
  webstack.django.deploy_lock:
    path: /run/webstack/shop-deploy.lock
    token: "{{ lookup('webstack.django.run_id') }}"
    holder: "{{ lookup('webstack.django.run_id', 'holder') }}: deploy"
  register: __lock

- name: Lock | Refuse while another run holds it
  ansible.builtin.fail:
    msg: "{{ __lock.msg }}"
  when: not __lock.held

- name: Lock | Give the deploy lock back
  webstack.django.deploy_lock:
    path: /run/webstack/shop-deploy.lock
    token: "{{ lookup('webstack.django.run_id') }}"
    state: released
"""

RETURN = r"""
held:
  description: Whether this run holds the lock now (in check mode, whether it would).
  returned: always
  type: bool
lock:
  description: What the lock file holds now (nothing when there is none). When another run holds it, that run's.
  returned: always
  type: dict
  sample: {holder: "alice@laptop (deploy)", token: "k2x9...", since: "2026-12-05T11:02:03Z", age: 42}
previous:
  description: The lock that O(force) broke.
  returned: when a lock of another run was broken or removed
  type: dict
msg:
  description: Why the lock was refused.
  returned: when another run holds it
  type: str
"""

import json
import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule


def read_lock(path: str) -> dict | None:
    """The lock's content, None without a lock; a file that is not a lock's JSON still counts as one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, encoding="utf-8") as handle:
        text = handle.read()
    try:
        lock = json.loads(text)
    except ValueError:
        lock = None
    if not isinstance(lock, dict):
        lock = {"holder": "unknown (the lock file holds no lock of this module)", "token": ""}
    try:
        since = float(lock.get("since_epoch", os.stat(path).st_mtime))
    except (TypeError, ValueError, OSError):
        since = time.time()
    lock["age"] = max(int(time.time() - since), 0)
    return lock


def content(token: str, holder: str) -> tuple[bytes, dict]:
    now = time.time()
    lock = {"holder": holder, "token": token, "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "since_epoch": now}
    return (json.dumps(lock, sort_keys=True) + "\n").encode(), {**lock, "age": 0}


def create(path: str, data: bytes) -> bool:
    """Make the lock file if there is none; False when one is there."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def replace(path: str, data: bytes) -> None:
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".deploy-lock.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def describe(lock: dict) -> str:
    return f"{lock.get('holder') or 'someone'} since {lock.get('since', 'an unknown time')} ({lock['age']} s ago)"


def public(lock: dict | None) -> dict:
    return {key: value for key, value in (lock or {}).items() if key != "since_epoch"}


def take(module: AnsibleModule, path: str, token: str, holder: str, force: bool) -> None:
    data, mine = content(token, holder)
    current = read_lock(path)
    if current is None:
        if module.check_mode or create(path, data):
            module.exit_json(changed=True, held=True, lock=public(mine))
        current = read_lock(path) or {"holder": "unknown", "token": "", "age": 0}
    if current.get("token") == token:
        module.exit_json(changed=False, held=True, lock=public(current))
    if force:
        if not module.check_mode:
            replace(path, data)
        module.exit_json(changed=True, held=True, lock=public(mine), previous=public(current))
    module.exit_json(changed=False, held=False, lock=public(current),
                     msg=f"the deploy lock {path} is held by {describe(current)}")


def give_back(module: AnsibleModule, path: str, token: str, force: bool) -> None:
    current = read_lock(path)
    if current is None:
        module.exit_json(changed=False, held=False, lock={})
    if current.get("token") != token and not force:
        module.exit_json(changed=False, held=False, lock=public(current))
    if not module.check_mode:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    result = {"changed": True, "held": False, "lock": {}}
    if current.get("token") != token:
        result["previous"] = public(current)
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "state": {"type": "str", "choices": ["held", "released"], "default": "held"},
            "token": {"type": "str", "required": True, "no_log": False},
            "holder": {"type": "str", "default": ""},
            "force": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    path, token = module.params["path"], module.params["token"]
    if not token:
        module.fail_json(msg="token is empty: each run needs a value of its own")
    directory = os.path.dirname(path) or "."
    if os.path.islink(path):
        module.fail_json(msg=f"{path} is a symbolic link, not a lock: remove it")
    if not os.path.isdir(directory):
        if not os.path.isdir(os.path.dirname(directory.rstrip("/")) or "/"):
            module.fail_json(msg=f"{directory} is not a directory, nor is its parent")
        if not module.check_mode:
            os.makedirs(directory, mode=0o700, exist_ok=True)
    if module.params["state"] == "held":
        take(module, path, token, module.params["holder"], module.params["force"])
    give_back(module, path, token, module.params["force"])


if __name__ == "__main__":
    main()
