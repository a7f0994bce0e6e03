# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.source_files lookup: the files of a project directory on the controller, with checksums."""

from __future__ import annotations

DOCUMENTATION = r"""
name: source_files
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The regular files below a directory on the controller, each with its SHA-1, read in the controller
description:
  - Walks a directory on the controller, hidden files included, without following links, and returns each regular
    file below it (links and other special files are left out), with the SHA-1 of its content, sorted by path.
  - Does what M(ansible.builtin.find) with C(recurse), C(hidden) and C(get_checksum) does on the controller,
    without starting a module process. The release role names a release from a directory after the content these
    checksums describe when no commit names it, and packs these files (P(webstack.django.source_archive#lookup)).
options:
  _terms:
    description: The directory (absolute, with links resolved).
    required: true
  exclude:
    description:
      - A regular expression, searched in each path relative to the directory (C(notes/views.py)); a file whose path
        matches is left out, and so is a directory whose path matches (C(node_modules), C(.git)), with everything
        below it, unread.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Source | List the files of the source directory on the controller
  ansible.builtin.set_fact:
    __files: "{{ lookup('webstack.django.source_files', '/home/me/shop', exclude='(^|/)(\\.git|node_modules)(/|$)') }}"
"""

RETURN = r"""
_raw:
  description: One entry per file, sorted by path - C(path) (absolute) and C(checksum) (SHA-1, hex).
  type: list
  elements: dict
"""

import hashlib
import os
import re
import stat

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def _sha1(path: str) -> str:
    digest = hashlib.sha1()  # noqa: S324 - the checksum find's get_checksum gives, not a security measure
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_files(directory: str, exclude: str = "") -> list[dict]:
    if not os.path.isabs(directory) or not os.path.isdir(directory):
        raise AnsibleLookupError(f"source_files: {directory} is not an absolute path of a directory on the controller")
    try:
        pattern = re.compile(exclude) if exclude else None
    except re.error as error:
        raise AnsibleLookupError(f"source_files: exclude is not a regular expression: {error}") from error
    found = []
    for folder, dirs, names in os.walk(directory, onerror=_raise):
        relative = os.path.relpath(folder, directory)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        if pattern:
            # A directory left out is not walked: a project's .git or node_modules is never read.
            dirs[:] = [name for name in dirs if not pattern.search(prefix + name)]
        for name in names:
            path = os.path.join(folder, name)
            if pattern and pattern.search(prefix + name):
                continue
            if stat.S_ISREG(os.lstat(path).st_mode):
                found.append({"path": path, "checksum": _sha1(path)})
    return sorted(found, key=lambda entry: entry["path"])


def _raise(error: OSError) -> None:
    raise AnsibleLookupError(f"source_files: cannot read {error.filename}: {error.strerror}")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        # One list per directory; with one directory (the release role's use), that list.
        return [source_files(str(term), self.get_option("exclude")) for term in terms]
