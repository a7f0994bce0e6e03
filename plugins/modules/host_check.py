#!/usr/bin/python
# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Check values against the host that will use them, changing nothing."""

from __future__ import annotations

DOCUMENTATION = r"""
module: host_check
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Check values that only the host can judge (time zones, calendars, packages, paths), changing nothing
description:
  - Reads the host to check the values a role is about to use, so that the preflight refuses them before the first change.
  - Never changes the host. When the host has no package lists yet (a fresh image), the lists are read into a temporary
    directory, which is removed afterwards.
  - Fails with one message per bad value, each naming the variable. An empty value (an empty string or list) is not
    checked.
options:
  checks:
    description:
      - A list of C([variable, kind, value]).
      - C(timezone) - a time zone of the host's zoneinfo (C(/usr/share/zoneinfo)).
      - C(calendar) - a calendar expression that C(systemd-analyze calendar) accepts.
      - C(package) - a package that the host's package sources offer.
      - C(executable) - an executable file on the host, such as a login shell.
      - C(swap_file) - a path that does not exist yet, or a swap file (never any other file).
      - C(directory) - a path that does not exist yet, or a directory (never a file or a link).
    type: list
    elements: raw
    required: true
attributes:
  check_mode:
    description: Can run in check mode; it reads the host either way.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Preflight | Check what only the host can judge
  webstack.django.host_check:
    checks:
      - [base_timezone, timezone, "{{ base_timezone }}"]
      - [postgresql_backup_schedule, calendar, "{{ postgresql_backup_schedule }}"]
      - [base_extra_packages, package, "{{ base_extra_packages }}"]
"""

RETURN = r"""
problems:
  description: One message per bad value, naming the variable; empty when every value is good.
  returned: always (on failure too)
  type: list
  elements: str
  sample: ["base_timezone: 'Mars/Olympus_Mons' is not a time zone of this host (/usr/share/zoneinfo)"]
"""

import os
import shutil
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

ZONEINFO = "/usr/share/zoneinfo"
APT_LISTS = "/var/lib/apt/lists"
# A swap area's signature: the last 10 bytes of its first page.
SWAP_SIGNATURES = (b"SWAPSPACE2", b"SWAP-SPACE")


def timezone(value, root=ZONEINFO):
    """Why value is not a time zone of the host, or None."""
    path = os.path.normpath(os.path.join(root, str(value)))
    if not path.startswith(root + os.sep) or not os.path.isfile(path):
        return f"is not a time zone of this host ({root})"
    with open(path, "rb") as handle:
        if handle.read(4) != b"TZif":
            return f"is not a time zone of this host ({root})"
    return None


def swap_file(value):
    """Why value may not become a swap file: it exists and is something else."""
    try:
        info = os.lstat(value)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return "exists and is not a regular file: the role never overwrites it"
    page = os.sysconf("SC_PAGE_SIZE")
    with open(value, "rb") as handle:
        handle.seek(page - 10)
        if handle.read(10) not in SWAP_SIGNATURES:
            return "is an existing file that is not a swap file: the role never overwrites it"
    return None


def directory(value):
    """Why value may not become a directory of the role's: it exists and is not a directory."""
    try:
        info = os.lstat(value)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        return "exists and is not a directory (a file or a link): the role never replaces it"
    return None


def executable(value):
    """Why value is not an executable file on the host."""
    if not os.path.isfile(value) or not os.access(value, os.X_OK):
        return "is not an executable file on this host"
    return None


class Host:
    """The checks that run commands on the host."""

    def __init__(self, module):
        self.module = module
        self.lists = None
        self.temporary = None

    def calendar(self, value):
        rc, _out, err = self.module.run_command(["systemd-analyze", "calendar", "--", str(value)])
        if rc != 0:
            return "is not a calendar expression systemd accepts ({})".format(" ".join(err.split())[:200])
        return None

    def _apt_options(self):
        """apt options that read the host's lists, or lists fetched into a temporary directory."""
        if self.lists is None:
            has_lists = os.path.isdir(APT_LISTS) and any("_Packages" in name for name in os.listdir(APT_LISTS))
            if has_lists:
                self.lists = []
            else:
                self.temporary = tempfile.mkdtemp(prefix="webstack-host-check-")
                lists = os.path.join(self.temporary, "lists")
                os.makedirs(os.path.join(lists, "partial"))
                self.lists = ["-o", "Dir::State::Lists=" + lists, "-o", "Dir::Cache=" + self.temporary,
                              "-o", "APT::Sandbox::User=root"]
                rc, _out, err = self.module.run_command(["apt-get", "-qq", *self.lists, "update"])
                if rc != 0:
                    self.module.fail_json(msg=f"could not read the package lists: {err.strip()}")
        return self.lists

    def package(self, value):
        argv = ["apt-cache", *self._apt_options(), "show", "--no-all-versions", "--", str(value)]
        rc, out, _err = self.module.run_command(argv)
        if rc != 0 or not out.strip():
            return "is not a package that this host's package sources offer"
        return None

    def close(self):
        if self.temporary:
            shutil.rmtree(self.temporary, ignore_errors=True)


def run_checks(checks, host):
    """One message per bad value: checks is a list of [variable, kind, value]; a list value
    is checked element by element."""
    kinds = {
        "timezone": timezone,
        "calendar": host.calendar,
        "package": host.package,
        "executable": executable,
        "swap_file": swap_file,
        "directory": directory,
    }
    problems = []
    for entry in checks:
        if not isinstance(entry, (list, tuple)) or len(entry) != 3 or entry[1] not in kinds:
            raise ValueError(f"each check is [variable, kind, value] with a kind of {', '.join(sorted(kinds))}, got {entry!r}")
        name, kind, value = entry
        values = value if isinstance(value, (list, tuple)) else [value]
        for index, item in enumerate(values):
            if item in (None, ""):
                continue
            why = kinds[kind](item)
            if why:
                where = f"[{index}] " if isinstance(value, (list, tuple)) else ""
                problems.append(f"{name}: {where}{item!r} {why}")
    return problems


def main():
    module = AnsibleModule(argument_spec={"checks": {"type": "list", "elements": "raw", "required": True}},
                           supports_check_mode=True)
    host = Host(module)
    try:
        problems = run_checks(module.params["checks"], host)
    except ValueError as error:
        module.fail_json(msg=str(error))
    finally:
        host.close()
    if problems:
        module.fail_json(msg="; ".join(problems), problems=problems)
    module.exit_json(changed=False, problems=problems)


if __name__ == "__main__":
    main()
