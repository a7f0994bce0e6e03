# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""host_check: what only the host can judge, read without changing anything."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ansible_collections.webstack.django.plugins.modules import host_check


class FakeModule:
    """Stands in for AnsibleModule: answers run_command from a table and records each command."""

    def __init__(self, results: dict[str, tuple[int, str, str]]) -> None:
        self.results = results
        self.commands: list[list[str]] = []

    def run_command(self, argv: list[str]) -> tuple[int, str, str]:
        self.commands.append(argv)
        return self.results[argv[0]]

    def fail_json(self, **kwargs: object) -> None:
        raise AssertionError(kwargs)


@pytest.fixture
def zoneinfo(tmp_path: Path) -> Path:
    (tmp_path / "Europe").mkdir()
    (tmp_path / "Europe" / "Paris").write_bytes(b"TZif2" + bytes(40))
    (tmp_path / "notazone").write_text("hello")
    return tmp_path


def test_time_zones_are_read_from_zoneinfo(zoneinfo: Path) -> None:
    assert host_check.timezone("Europe/Paris", str(zoneinfo)) is None
    assert "not a time zone" in host_check.timezone("Mars/Olympus_Mons", str(zoneinfo))
    assert "not a time zone" in host_check.timezone("notazone", str(zoneinfo))
    assert "not a time zone" in host_check.timezone("Europe", str(zoneinfo))
    assert "not a time zone" in host_check.timezone("../../etc/passwd", str(zoneinfo))


def test_a_swap_file_is_never_another_file(tmp_path: Path) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    swap = tmp_path / "swapfile"
    swap.write_bytes(bytes(page - 10) + b"SWAPSPACE2" + bytes(page))
    media = tmp_path / "upload.jpg"
    media.write_bytes(b"\xff\xd8" + bytes(3 * page))
    small = tmp_path / "passwd"
    small.write_text("root:x:0:0::/root:/bin/bash\n")
    link = tmp_path / "link"
    link.symlink_to(swap)
    assert host_check.swap_file(str(tmp_path / "missing")) is None
    assert host_check.swap_file(str(swap)) is None
    assert "not a swap file" in host_check.swap_file(str(media))
    assert "not a swap file" in host_check.swap_file(str(small))
    assert "not a regular file" in host_check.swap_file(str(tmp_path))
    assert "not a regular file" in host_check.swap_file(str(link))


def test_a_directory_is_never_a_file_or_a_link(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path)
    assert host_check.directory(str(tmp_path)) is None
    assert host_check.directory(str(tmp_path / "missing")) is None
    assert "not a directory" in host_check.directory(str(tmp_path / "file"))
    assert "not a directory" in host_check.directory(str(tmp_path / "link"))


def test_executables(tmp_path: Path) -> None:
    shell = tmp_path / "zsh"
    shell.write_text("#!/bin/sh\n")
    assert "not an executable" in host_check.executable(str(shell))
    shell.chmod(shell.stat().st_mode | stat.S_IXUSR)
    assert host_check.executable(str(shell)) is None
    assert "not an executable" in host_check.executable(str(tmp_path / "fish"))


def test_calendars_are_judged_by_systemd_analyze() -> None:
    refused = "Failed to parse calendar specification 'every day at 3': Invalid argument\n"
    module = FakeModule({"systemd-analyze": (1, "", refused)})
    host = host_check.Host(module)
    assert "systemd accepts (Failed to parse" in host.calendar("every day at 3")
    assert module.commands == [["systemd-analyze", "calendar", "--", "every day at 3"]]


def test_checks_name_the_variable_and_the_element(zoneinfo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_check, "ZONEINFO", str(zoneinfo))
    monkeypatch.setattr(host_check.timezone, "__defaults__", (str(zoneinfo),))
    host = host_check.Host(FakeModule({}))
    problems = host_check.run_checks([
        ["base_timezone", "timezone", "Europe/Paris"],
        ["base_admin_shells", "executable", ["/bin/sh", "/no/such/shell"]],
    ], host)
    assert problems == ["base_admin_shells: [1] '/no/such/shell' is not an executable file on this host"]


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError):
        host_check.run_checks([["x", "guess", 1]], host_check.Host(FakeModule({})))
