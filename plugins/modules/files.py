#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Several files, directories and links put in place by one module run."""

from __future__ import annotations

DOCUMENTATION = r"""
module: files
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Put several files, directories and links in place in one run, each with its owner, mode and diff
description:
  - Does what a loop of M(ansible.builtin.template), M(ansible.builtin.copy) with C(content) and
    M(ansible.builtin.file) does, in one module run instead of one or two for each item. The roles render their
    templates on the controller (C(lookup('ansible.builtin.template', ...))) and hand the text over.
  - Each entry is compared with the host, and written only when its content, owner, group, mode or link target
    differs. A file is written to a temporary file beside it and moved into place, so a reader never sees half of it.
  - With C(backup), a file that is about to change is copied first. Its copy is named in the entry's result as
    C(backup_file), as M(ansible.builtin.template) does, so that C(put_back.yml) of the common role can restore it.
  - With C(validate), the new content is checked by a command before it lands. A command that fails leaves the
    file as it was and fails the task, naming the file and quoting the command's output. The entries before it
    stay written. Their results are returned, so the caller can put them back.
  - Entries are handled in their order, so a directory comes before the files in it.
options:
  files:
    description: What to put in place, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: An absolute path.
        type: path
        required: true
      state:
        description:
          - C(file) writes O(files[].content). C(directory) makes the directory and its parents.
          - C(link) makes a symbolic link to O(files[].src). C(absent) removes a file or a link (never a directory).
        type: str
        choices: [file, directory, link, absent]
        default: file
      content:
        description:
          - The file's text (for C(state=file)).
          - Without it, the file must exist already, and only its owner, group and mode are set.
        type: str
      src:
        description: The link's target (for C(state=link)).
        type: str
      owner:
        description: The owner's name.
        type: str
      group:
        description: The group's name.
        type: str
      mode:
        description: The mode, as an octal string such as C("0644").
        type: str
      backup:
        description: Copy a file that is about to change first (for C(state=file)).
        type: bool
        default: false
      validate:
        description: A command, with C(%s) for the new file, that must succeed before the file lands (for C(state=file)).
        type: str
attributes:
  check_mode:
    description: Reports what would change, and changes nothing.
    support: full
  diff_mode:
    description: Shows the before and after of each file whose content changes, and of each link's target.
    support: full
"""

EXAMPLES = r"""
- name: Site | Write the configuration
  webstack.django.files:
    files:
      - {path: /etc/nginx/snippets, state: directory, owner: root, group: root, mode: "0755"}
      - path: /etc/nginx/sites-available/shop.conf
        content: "{{ lookup('ansible.builtin.template', 'site.conf.j2') }}"
        owner: root
        group: root
        mode: "0644"
        backup: true
      - {path: /etc/nginx/sites-enabled/shop.conf, state: link, src: /etc/nginx/sites-available/shop.conf}
  register: written
"""

RETURN = r"""
results:
  description: One result for each entry, in order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The entry's path.
      type: str
    dest:
      description: The same path, under the name M(ansible.builtin.template) gives it.
      type: str
    state:
      description: The entry's state.
      type: str
    changed:
      description: Whether the entry changed (or would, in check mode).
      type: bool
    created:
      description: Whether the entry did not exist before.
      type: bool
    backup_file:
      description: The copy made before a file changed (only then).
      type: str
    owner:
      description: The owner asked for.
      type: str
    group:
      description: The group asked for.
      type: str
    mode:
      description: The mode asked for.
      type: str
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

# Diffs of files larger than this are summarised, as Ansible's own modules do.
MAX_DIFF = 104448


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _text(data):
    if len(data) > MAX_DIFF or b"\x00" in data:
        return f"[content not shown: binary or over {MAX_DIFF} bytes]\n"
    return data.decode("utf-8", errors="replace")


class Files:
    def __init__(self, module):
        self.module = module
        self.results = []
        self.diffs = []

    def attributes(self, entry, path, changed):
        args = {
            "path": path,
            "owner": entry.get("owner"),
            "group": entry.get("group"),
            "mode": entry.get("mode"),
            "attributes": None,
            "seuser": None,
            "serole": None,
            "setype": None,
            "selevel": None,
            "secontext": [None, None, None],
        }
        return self.module.set_fs_attributes_if_different(args, changed)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, results=self.results, **extra)

    def directory(self, entry, result):
        path = entry["path"]
        if os.path.lexists(path) and not os.path.isdir(path):
            self.fail(f"{path} exists and is not a directory")
        created = not os.path.isdir(path)
        if created and not self.module.check_mode:
            os.makedirs(path)
        result["created"] = created
        if created and self.module.check_mode:
            return True
        return self.attributes(entry, path, created)

    def link(self, entry, result):
        path, src = entry["path"], entry.get("src")
        if not src:
            self.fail(f"{path}: a link needs src")
        current = os.readlink(path) if os.path.islink(path) else None
        if current is None and os.path.lexists(path):
            self.fail(f"{path} exists and is not a link")
        changed = current != src
        result["created"] = current is None
        if changed:
            self.diffs.append({"before_header": path, "after_header": path,
                               "before": f"{current}\n" if current else "",
                               "after": f"{src}\n"})
            if not self.module.check_mode:
                temp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.webstack-link")
                if os.path.lexists(temp):
                    os.unlink(temp)
                os.symlink(src, temp)
                os.rename(temp, path)
        return changed

    def absent(self, entry, result):
        path = entry["path"]
        if os.path.isdir(path) and not os.path.islink(path):
            self.fail(f"{path} is a directory: files removes files and links only")
        if not os.path.lexists(path):
            return False
        if not self.module.check_mode:
            os.unlink(path)
        return True

    def file(self, entry, result):
        path = entry["path"]
        content = entry.get("content")
        if os.path.lexists(path) and (os.path.islink(path) or not os.path.isfile(path)):
            self.fail(f"{path} exists and is not a regular file")
        exists = os.path.exists(path)
        if content is None:
            # Without content: a file that exists already, whose owner, group and mode are set.
            if not exists:
                self.fail(f"{path} does not exist, and without content it is not written")
            result["created"] = False
            return self.attributes(entry, path, False)
        new = to_bytes(content, errors="surrogate_or_strict")
        old = _read(path) if exists else None
        result["created"] = not exists
        if old == new:
            return self.attributes(entry, path, False)
        self.diffs.append({"before_header": path, "after_header": path,
                           "before": _text(old) if old is not None else "",
                           "after": _text(new)})
        if self.module.check_mode:
            return True
        directory = os.path.dirname(path)
        if not os.path.isdir(directory):
            self.fail(f"{path}: the directory {directory} does not exist")
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=directory)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(new)
            # A new file with a mode asked for is no more open than that mode
            # at any moment (a key, an environment with secrets): private
            # until its owner, group and mode are set below.
            private = not exists and entry.get("mode") is not None
            if exists:
                shutil.copystat(path, temp)
            else:
                umask = 0o077 if private else os.umask(0)
                if not private:
                    os.umask(umask)
                os.chmod(temp, 0o666 & ~umask)
            if entry.get("validate"):
                command = entry["validate"]
                if "%s" not in command:
                    self.fail(f"{path}: validate must hold %s for the new file: {command}")
                rc, out, err = self.module.run_command(command % temp)
                if rc != 0:
                    self.fail(f"{path}: the new content failed {command}, so it was not written: "
                              f"{(err or out).strip()}", rc=rc)
            if exists and entry.get("backup"):
                result["backup_file"] = self.module.backup_local(path)
            # atomic_move gives a file it creates the mode the umask allows.
            umask = os.umask(0o077) if private else None
            try:
                self.module.atomic_move(temp, path, unsafe_writes=False)
            finally:
                if umask is not None:
                    os.umask(umask)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
        self.attributes(entry, path, True)
        return True

    def run(self):
        for entry in self.module.params["files"]:
            path = entry["path"]
            state = entry["state"]
            result = {"path": path, "dest": path, "state": state, "changed": False,
                      "owner": entry.get("owner"), "group": entry.get("group"), "mode": entry.get("mode")}
            self.results.append(result)
            if not os.path.isabs(path):
                self.fail(f"{path}: the path must be absolute")
            try:
                result["changed"] = bool(getattr(self, state)(entry, result))
            except OSError as error:
                self.fail(f"{path}: {to_native(error)}")
        changed = any(result["changed"] for result in self.results)
        outcome = {"changed": changed, "results": self.results}
        if self.module._diff:
            outcome["diff"] = self.diffs
        self.module.exit_json(**outcome)


def main():
    module = AnsibleModule(
        argument_spec={
            "files": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "path": {"type": "path", "required": True},
                    "state": {"type": "str", "choices": ["file", "directory", "link", "absent"], "default": "file"},
                    "content": {"type": "str", "no_log": False},
                    "src": {"type": "str"},
                    "owner": {"type": "str"},
                    "group": {"type": "str"},
                    "mode": {"type": "str"},
                    "backup": {"type": "bool", "default": False},
                    "validate": {"type": "str"},
                },
            },
        },
        supports_check_mode=True,
    )
    Files(module).run()


if __name__ == "__main__":
    main()
