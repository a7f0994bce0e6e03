# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.source_archive lookup: files of a directory on the controller, packed for a copy to the hosts."""

from __future__ import annotations

DOCUMENTATION = r"""
name: source_archive
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Pack files of a directory on the controller into a gzipped tar in the run's own temporary directory
description:
  - Packs the given files, each named by its path relative to the directory, into a gzipped tar, and returns the
    tar's path on the controller, for M(ansible.builtin.unarchive) to copy to a host and unpack.
  - The tar is written in the temporary directory of the running C(ansible-playbook) (C(DEFAULT_LOCAL_TMP)), which
    Ansible removes when the run ends, as it removes the files its own actions write there. The same files packed for
    several hosts are packed once (the tar is named after the paths and checksums given).
  - Packing in the controller's own process takes no module process, where a temporary directory,
    M(community.general.archive) and its removal took three.
options:
  _terms:
    description: The directory (absolute, with links resolved).
    required: true
  files:
    description:
      - The files to pack, as P(webstack.django.source_files#lookup) gives them (C(path), C(checksum)).
      - Each must be below the directory.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Build | Unpack the code into the release
  ansible.builtin.unarchive:
    src: "{{ lookup('webstack.django.source_archive', '/home/me/shop', files=__release_source_files) }}"
    dest: /srv/shop/releases/0123456789ab
"""

RETURN = r"""
_raw:
  description: The path of the gzipped tar on the controller.
  type: list
  elements: str
"""

import hashlib
import json
import os
import tarfile
import tempfile

from ansible import constants as C
from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def source_archive(directory: str, files: list[dict], where: str) -> str:
    """The gzipped tar of `files` (each named relative to `directory`) in `where`; packed once for the same files."""
    if not os.path.isabs(directory) or not os.path.isdir(directory):
        raise AnsibleLookupError(f"source_archive: {directory} is not an absolute path of a directory on the controller")
    root = os.path.join(directory, "")
    members = []
    for entry in files:
        path = entry.get("path", "") if isinstance(entry, dict) else ""
        if not path.startswith(root):
            raise AnsibleLookupError(f"source_archive: {path or entry!r} is not a file below {directory}")
        members.append((path, path[len(root):], entry.get("checksum", "")))
    key = hashlib.sha256(json.dumps([directory, sorted(members)]).encode()).hexdigest()[:16]
    archive = os.path.join(where, f"webstack-source-{key}.tar.gz")
    if os.path.exists(archive):
        return archive
    # Written beside its final name and renamed: a host packing the same files at the same moment
    # never reads half of it.
    handle, partial = tempfile.mkstemp(prefix=".webstack-source-", suffix=".tar.gz", dir=where)
    try:
        # Each directory that holds a file is a member too, before its files: unarchive gives it
        # the owner, group and mode it gives the files, instead of what tar would make it.
        folders = sorted({parent for _path, name, _checksum in members
                          for parent in _parents(name)})
        with os.fdopen(handle, "wb") as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            for folder in folders:
                tar.add(os.path.join(directory, folder), arcname=folder, recursive=False)
            for path, name, _checksum in sorted(members, key=lambda member: member[1]):
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, archive)
    except OSError as error:
        raise AnsibleLookupError(f"source_archive: cannot pack {directory}: {error}") from error
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return archive


def _parents(name: str) -> list[str]:
    """The folders a relative file name is in, outermost first: a/b/c.py -> a, a/b."""
    parts = name.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        files = self.get_option("files")
        return [source_archive(str(term), files, C.DEFAULT_LOCAL_TMP) for term in terms]
