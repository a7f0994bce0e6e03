#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""What several paths are, where links point, and the text of small files, read in one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: paths_info
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Read several paths in one run - what each is, where a link points, the text of a small file
description:
  - Does what a loop of M(ansible.builtin.stat) and M(ansible.builtin.slurp) does, and what
    M(ansible.builtin.find) does for the entries of a directory, in one module run instead of one for each path.
    Never changes the host.
  - Each path is described with the keys M(ansible.builtin.stat) gives them (C(exists), C(islnk), C(isdir),
    C(isreg), C(lnk_source), C(lnk_target)), so that a caller can read it as it read a stat result.
  - A path named in O(read) also gets C(content), its text, when it is a regular file of at most 64 KiB
    (following links). A missing file has no C(content); a larger file, or one that is not UTF-8, fails the task.
options:
  paths:
    description: Absolute paths to describe. Links are not followed, except to read a file's text.
    type: list
    elements: path
    required: true
  read:
    description: Paths of O(paths) whose text to return as well.
    type: list
    elements: path
    default: []
  list:
    description:
      - Paths of O(paths) whose entries to return as well, each with its name, whether it is a directory (not
        following links) and its modification time, newest first. A missing directory has no C(entries).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    description: Runs in check mode too; it only reads.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Links | Read where current and previous point, and what a rollback chose
  webstack.django.paths_info:
    paths: [/srv/shop/current, /srv/shop/previous, /srv/shop/shared/rollback-pin.json]
    read: [/srv/shop/shared/rollback-pin.json]
  register: __release_paths

- name: Prune | Read the releases, newest first
  webstack.django.paths_info:
    paths: [/srv/shop/releases]
    list: [/srv/shop/releases]
  register: __release_dirs
"""

RETURN = r"""
paths:
  description: For each path asked about, what it is.
  returned: always
  type: dict
  sample:
    /srv/shop/current:
      exists: true
      islnk: true
      isdir: false
      isreg: false
      lnk_source: /srv/shop/releases/0123456789ab
      lnk_target: /srv/shop/releases/0123456789ab
    /srv/shop/shared/rollback-pin.json:
      exists: false
    /srv/shop/releases:
      exists: true
      islnk: false
      isdir: true
      isreg: false
      entries:
        - {name: 0123456789ab, isdir: true, mtime: 1733300000.5}
        - {name: 89abcdef0123, isdir: true, mtime: 1733200000.25}
"""

import os
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

# The largest file whose text is returned.
MAX_READ = 65536


def entries(path: str) -> list[dict]:
    """The entries of a directory, newest first: each one's name, whether it is a directory, its mtime."""
    found = []
    with os.scandir(path) as listing:
        for entry in listing:
            info = entry.stat(follow_symlinks=False)
            found.append({"name": entry.name, "isdir": stat.S_ISDIR(info.st_mode), "mtime": info.st_mtime})
    return sorted(found, key=lambda entry: (-entry["mtime"], entry["name"]))


def describe(path: str, read: bool, listed: bool = False) -> dict:
    """What the path is, in stat's keys; with its text when asked and it is a small regular file, its entries
    when asked and it is a directory."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {"exists": False}
    islnk = stat.S_ISLNK(info.st_mode)
    result = {
        "exists": True,
        "islnk": islnk,
        "isdir": stat.S_ISDIR(info.st_mode),
        "isreg": stat.S_ISREG(info.st_mode),
    }
    if islnk:
        result["lnk_target"] = os.readlink(path)
        result["lnk_source"] = os.path.realpath(path)
    if listed:
        if not result["isdir"]:
            raise ValueError(f"{path} is not a directory, whose entries to list")
        result["entries"] = entries(path)
    if read:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_READ + 1)
        except FileNotFoundError:
            # A link to nothing: no text, as for a missing file.
            return result
        except IsADirectoryError as error:
            raise ValueError(f"{path} is a directory, not a file to read") from error
        if len(data) > MAX_READ:
            raise ValueError(f"{path} is larger than {MAX_READ} bytes")
        try:
            result["content"] = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"{path} is not UTF-8 text") from error
    return result


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "required": True},
            "read": {"type": "list", "elements": "path", "default": []},
            "list": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    paths = module.params["paths"]
    read = set(module.params["read"])
    listed = set(module.params["list"])
    for path in [*paths, *read, *listed]:
        if not os.path.isabs(path):
            module.fail_json(msg=f"{path}: the path must be absolute")
    for option, asked in (("read", read), ("list", listed)):
        unknown = sorted(asked.difference(paths))
        if unknown:
            module.fail_json(msg=f"{option} names paths that paths does not: {', '.join(unknown)}")
    described = {}
    for path in paths:
        try:
            described[path] = describe(path, path in read, path in listed)
        except (OSError, ValueError) as error:
            module.fail_json(msg=to_native(error), paths=described)
    module.exit_json(changed=False, paths=described)


if __name__ == "__main__":
    main()
