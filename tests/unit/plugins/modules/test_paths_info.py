# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The paths_info module, run as Ansible runs it (a Python process given its arguments), on a real directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ansible_collections.webstack.django.plugins.modules import paths_info as paths_info_module

MODULE = paths_info_module.__file__


@pytest.fixture
def run(run_module):  # noqa: ANN001, ANN201 - the conftest's fixture
    def run_paths_info(tmp_path: Path, paths: list[str], read: list[str] | None = None, check: bool = False,
                       listed: list[str] | None = None) -> dict:
        module_args: dict = {"paths": paths, "_ansible_check_mode": check}
        if read is not None:
            module_args["read"] = read
        if listed is not None:
            module_args["list"] = listed
        return run_module(MODULE, module_args)
    return run_paths_info


@pytest.fixture
def app(tmp_path: Path) -> Path:
    """An app root as the release role leaves it: two releases, current and previous, a pin file."""
    for revision in ("aaaaaaaaaaaa", "bbbbbbbbbbbb"):
        release = tmp_path / "releases" / revision
        release.mkdir(parents=True)
        (release / "REVISION").write_text(f"{revision}\n")
    (tmp_path / "current").symlink_to(tmp_path / "releases" / "bbbbbbbbbbbb")
    (tmp_path / "previous").symlink_to("releases/aaaaaaaaaaaa")
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "pin.json").write_text('{"revision": "aaaaaaaaaaaa"}\n')
    return tmp_path


def test_links_are_described_as_stat_describes_them(run, app: Path) -> None:
    result = run(app, [str(app / "current"), str(app / "previous")])
    assert result["changed"] is False
    current, previous = (result["paths"][str(app / name)] for name in ("current", "previous"))
    assert current == {"exists": True, "islnk": True, "isdir": False, "isreg": False,
                       "lnk_target": str(app / "releases" / "bbbbbbbbbbbb"),
                       "lnk_source": str(app / "releases" / "bbbbbbbbbbbb")}
    # A relative link: lnk_target as written, lnk_source resolved.
    assert previous["lnk_target"] == "releases/aaaaaaaaaaaa"
    assert previous["lnk_source"] == str(app / "releases" / "aaaaaaaaaaaa")


def test_the_text_of_files_is_read_through_links_and_missing_ones_have_none(run, app: Path) -> None:
    paths = [str(app / "shared" / "pin.json"), str(app / "previous" / "REVISION"), str(app / "shared" / "none.json"),
             str(app / "releases")]
    result = run(app, paths, read=paths[:3])
    pin, revision, missing, releases = (result["paths"][path] for path in paths)
    assert json.loads(pin["content"]) == {"revision": "aaaaaaaaaaaa"} and pin["isreg"]
    assert revision["content"] == "aaaaaaaaaaaa\n"
    assert missing == {"exists": False}
    assert releases["isdir"] and "content" not in releases


def test_a_dangling_link_exists_as_a_link_and_has_no_text(run, app: Path) -> None:
    (app / "dangling").symlink_to(app / "releases" / "removed")
    result = run(app, [str(app / "dangling")], read=[str(app / "dangling")])
    dangling = result["paths"][str(app / "dangling")]
    assert dangling["exists"] and dangling["islnk"] and "content" not in dangling


def test_check_mode_reads_the_same(run, app: Path) -> None:
    paths = [str(app / "current"), str(app / "shared" / "pin.json")]
    assert run(app, paths, read=paths[1:], check=True)["paths"] == run(app, paths, read=paths[1:])["paths"]


@pytest.mark.parametrize(("setup", "message"), [
    ("big", "is larger than 65536 bytes"),
    ("binary", "is not UTF-8 text"),
    ("dir", "is a directory, not a file to read"),
])
def test_what_cannot_be_read_fails_naming_the_path(run, app: Path, setup: str, message: str) -> None:
    path = app / setup
    if setup == "big":
        path.write_text("x" * 65537)
    elif setup == "binary":
        path.write_bytes(b"\xff\xfe\x00")
    else:
        path.mkdir()
    result = run(app, [str(path)], read=[str(path)])
    assert result.get("failed") is True
    assert result["msg"] == f"{path} {message}"


def test_paths_must_be_absolute_and_read_must_name_paths_asked_about(run, app: Path) -> None:
    assert "must be absolute" in run(app, ["current"])["msg"]
    result = run(app, [str(app / "current")], read=[str(app / "shared" / "pin.json")])
    assert result["failed"] is True and "read names paths that paths does not" in result["msg"]


def test_the_entries_of_a_directory_come_newest_first_and_a_missing_one_has_none(run, app: Path) -> None:
    releases = app / "releases"
    (releases / "cccccccccccc").mkdir()
    (releases / "notes.txt").write_text("not a release\n")
    (releases / "link").symlink_to(releases / "aaaaaaaaaaaa")
    for age, name in enumerate(["notes.txt", "cccccccccccc", "aaaaaaaaaaaa", "bbbbbbbbbbbb"]):
        os.utime(releases / name, (1_700_000_000 - age * 60, 1_700_000_000 - age * 60))
    os.utime(releases / "link", (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    missing = str(app / "nothing")
    result = run(app, [str(releases), missing], listed=[str(releases), missing])
    entries = result["paths"][str(releases)]["entries"]
    assert [(entry["name"], entry["isdir"]) for entry in entries] == [
        ("notes.txt", False), ("cccccccccccc", True), ("aaaaaaaaaaaa", True), ("bbbbbbbbbbbb", True), ("link", False)]
    assert entries[0]["mtime"] == 1_700_000_000
    assert result["paths"][missing] == {"exists": False}


def test_only_a_directory_is_listed_and_list_must_name_paths_asked_about(run, app: Path) -> None:
    current = str(app / "current")
    result = run(app, [current], listed=[current])
    assert result["failed"] is True and result["msg"] == f"{current} is not a directory, whose entries to list"
    result = run(app, [current], listed=[str(app / "releases")])
    assert result["failed"] is True and "list names paths that paths does not" in result["msg"]
