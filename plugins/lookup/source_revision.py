# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.source_revision lookup: the commit a project directory is at, and what differs from it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: source_revision
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The commit of the git work tree a directory on the controller is in, and its uncommitted changes
description:
  - For a directory inside a git work tree, returns the commit C(HEAD) names and the paths below the directory that
    differ from it (changed, staged, deleted or untracked and not ignored), leaving out those that match
    O(exclude). For a directory that is in no work tree, that holds no file of the commit (an ignored directory),
    or where git is not installed, the commit is empty.
  - The release role names a release from a directory after its commit, and refuses uncommitted changes.
options:
  _terms:
    description: The directory.
    required: true
  exclude:
    description: A regular expression; paths (relative to the directory) that match it are not changes.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Note the commit of the project
  ansible.builtin.set_fact:
    __source: "{{ lookup('webstack.django.source_revision', '/home/me/shop', exclude='(^|/)__pycache__(/|$)') }}"
"""

RETURN = r"""
_raw:
  description: C(commit) (40 hex digits, or empty) and C(changes) (the paths that differ, relative to the directory).
  type: list
  elements: dict
"""

import os
import re
import shutil
import subprocess

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def _git(directory: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", directory, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"})


def source_revision(directory: str, exclude: str = "") -> dict:
    if not os.path.isdir(directory):
        raise AnsibleLookupError(f"source_revision: {directory} is not a directory on the controller")
    try:
        pattern = re.compile(exclude) if exclude else None
    except re.error as error:
        raise AnsibleLookupError(f"source_revision: exclude is not a regular expression: {error}") from error
    if shutil.which("git") is None or _git(directory, "rev-parse", "--is-inside-work-tree").stdout.strip() != "true":
        return {"commit": "", "changes": []}
    head = _git(directory, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    if head.returncode != 0:
        # A repository with no commit yet: nothing names the code.
        return {"commit": "", "changes": []}
    if not _git(directory, "ls-files", "-z", "--", ".").stdout:
        # No file below it is in the commit (an ignored directory of another project's tree): the commit does not
        # name this code.
        return {"commit": "", "changes": []}
    # -z: paths as they are; relative to the directory, below it only.
    status = _git(directory, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if status.returncode != 0:
        raise AnsibleLookupError(f"source_revision: git status failed in {directory}: {status.stderr.strip()}")
    prefix = _git(directory, "rev-parse", "--show-prefix").stdout.strip()
    changes = []
    entries = status.stdout.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if len(entry) < 4:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            i += 1  # the original path of a rename or copy follows
        relative = path[len(prefix):] if path.startswith(prefix) else path
        if pattern and pattern.search(relative):
            continue
        changes.append(relative)
    return {"commit": head.stdout.strip(), "changes": sorted(changes)}


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        exclude = self.get_option("exclude")
        return [source_revision(str(term), exclude) for term in terms]
