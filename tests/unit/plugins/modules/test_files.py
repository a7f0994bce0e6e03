# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The files module, run as Ansible runs it (a Python process given its arguments), on a real directory."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.webstack.django.plugins.modules import files as files_module

MODULE = files_module.__file__
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(tmp_path: Path, entries: list[dict], check: bool = False, diff: bool = True) -> dict:
    args = tmp_path.parent / f"{tmp_path.name}-args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "files": entries, "_ansible_check_mode": check, "_ansible_diff": diff,
        "_ansible_tmpdir": str(tmp_path.parent)}}))
    done = subprocess.run([sys.executable, MODULE, str(args)], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    return json.loads(done.stdout)


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.lstat().st_mode))[2:].zfill(4)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, list[dict]]:
    root = tmp_path / "etc"
    entries = [
        {"path": str(root / "snippets"), "state": "directory", "owner": USER, "group": GROUP, "mode": "0750"},
        {"path": str(root / "snippets" / "tls.conf"), "content": "ssl_protocols TLSv1.2 TLSv1.3;\n",
         "owner": USER, "group": GROUP, "mode": "0640", "backup": True},
        {"path": str(root / "site.conf"), "content": "server { listen 80; }\n", "mode": "0644", "backup": True},
        {"path": str(root / "enabled.conf"), "state": "link", "src": str(root / "site.conf")},
    ]
    root.mkdir()
    return root, entries


def test_everything_is_put_in_place_then_a_second_run_changes_nothing(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    first = run(root, entries)
    assert first["changed"] is True
    assert [result["changed"] for result in first["results"]] == [True] * 4
    assert [result["created"] for result in first["results"]] == [True] * 4
    assert mode(root / "snippets") == "0750" and (root / "snippets").is_dir()
    assert (root / "snippets" / "tls.conf").read_text() == "ssl_protocols TLSv1.2 TLSv1.3;\n"
    assert mode(root / "snippets" / "tls.conf") == "0640"
    assert os.readlink(root / "enabled.conf") == str(root / "site.conf")
    # A file created needs no copy: there was nothing before it.
    assert all("backup_file" not in result for result in first["results"])
    again = run(root, entries)
    assert again["changed"] is False and again["diff"] == []
    assert not any(result["changed"] for result in again["results"])


def test_a_changed_file_is_copied_first_and_its_diff_shown(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    run(root, entries)
    entries[2]["content"] = "server { listen 443 ssl; }\n"
    changed = run(root, entries)
    result = changed["results"][2]
    assert result["changed"] is True and result["created"] is False
    assert Path(result["backup_file"]).read_text() == "server { listen 80; }\n"
    assert (root / "site.conf").read_text() == "server { listen 443 ssl; }\n"
    assert changed["diff"] == [{"before_header": str(root / "site.conf"), "after_header": str(root / "site.conf"),
                                "before": "server { listen 80; }\n", "after": "server { listen 443 ssl; }\n"}]
    assert [r["changed"] for r in changed["results"]] == [False, False, True, False]


def test_a_mode_alone_is_put_right(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    run(root, entries)
    (root / "snippets" / "tls.conf").chmod(0o666)
    fixed = run(root, entries)
    assert [r["changed"] for r in fixed["results"]] == [False, True, False, False]
    assert fixed["diff"] == []
    assert mode(root / "snippets" / "tls.conf") == "0640"


def test_check_mode_reports_and_changes_nothing(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    checked = run(root, entries, check=True)
    assert checked["changed"] is True
    assert [r["changed"] for r in checked["results"]] == [True] * 4
    assert list(root.iterdir()) == []
    run(root, entries)
    entries[3]["src"] = str(root / "other.conf")
    entries[1]["content"] = "ssl_protocols TLSv1.3;\n"
    checked = run(root, entries, check=True)
    assert [r["changed"] for r in checked["results"]] == [False, True, False, True]
    assert (root / "snippets" / "tls.conf").read_text() == "ssl_protocols TLSv1.2 TLSv1.3;\n"
    assert os.readlink(root / "enabled.conf") == str(root / "site.conf")
    assert [d["after"] for d in checked["diff"]] == ["ssl_protocols TLSv1.3;\n", str(root / "other.conf") + "\n"]


def test_a_file_that_fails_its_validation_is_not_written(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    run(root, entries)
    entries[0:2] = []
    entries[0]["content"] = "server { listen 443 ssl; }\n"
    entries[0]["validate"] = "grep -q 'listen 80' %s"
    refused = run(root, entries)
    assert refused["failed"] is True
    assert "failed grep -q 'listen 80' %s, so it was not written" in refused["msg"]
    assert refused["msg"].startswith(str(root / "site.conf"))
    assert (root / "site.conf").read_text() == "server { listen 80; }\n"
    # No temporary file is left beside it.
    assert sorted(p.name for p in root.iterdir()) == ["enabled.conf", "site.conf", "snippets"]
    entries[0]["validate"] = "grep -q 'listen 443' %s"
    assert run(root, entries)["results"][0]["changed"] is True


def test_without_content_only_the_attributes_of_a_file_are_set(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    run(root, entries)
    (root / "site.conf").chmod(0o666)
    fixed = run(root, [{"path": str(root / "site.conf"), "mode": "0640", "owner": USER}])
    assert fixed["results"][0]["changed"] is True and fixed["diff"] == []
    assert mode(root / "site.conf") == "0640"
    assert (root / "site.conf").read_text() == "server { listen 80; }\n"
    assert run(root, [{"path": str(root / "site.conf"), "mode": "0640"}])["changed"] is False


def test_absent_removes_files_and_links_only(site: tuple[Path, list[dict]]) -> None:
    root, entries = site
    run(root, entries)
    gone = run(root, [{"path": str(root / "enabled.conf"), "state": "absent"},
                      {"path": str(root / "never.conf"), "state": "absent"}])
    assert [r["changed"] for r in gone["results"]] == [True, False]
    assert not (root / "enabled.conf").is_symlink()
    refused = run(root, [{"path": str(root / "snippets"), "state": "absent"}])
    assert refused["failed"] is True and "is a directory" in refused["msg"]
    assert (root / "snippets").is_dir()


@pytest.mark.parametrize(("entry", "message"), [
    ({"path": "relative.conf", "content": "x"}, "must be absolute"),
    ({"path": "{root}/site.conf", "state": "directory"}, "exists and is not a directory"),
    ({"path": "{root}/snippets", "content": "x"}, "exists and is not a regular file"),
    ({"path": "{root}/site.conf", "state": "link", "src": "/x"}, "exists and is not a link"),
    ({"path": "{root}/enabled.conf", "content": "x"}, "exists and is not a regular file"),
    ({"path": "{root}/new.conf"}, "does not exist, and without content it is not written"),
    ({"path": "{root}/missing/new.conf", "content": "x"}, "does not exist"),
    ({"path": "{root}/new-link", "state": "link"}, "a link needs src"),
])
def test_what_cannot_be_done_fails_naming_the_path(site: tuple[Path, list[dict]], entry: dict, message: str) -> None:
    root, entries = site
    run(root, entries)
    entry = {key: value.format(root=root) for key, value in entry.items()}
    refused = run(root, [entries[2], entry])
    assert refused["failed"] is True
    assert message in refused["msg"] and refused["msg"].startswith(entry["path"])
    # What was done before the failing entry is reported, for put_back.yml.
    assert [r["path"] for r in refused["results"]] == [entries[2]["path"], entry["path"]]


def test_a_new_file_with_a_mode_is_never_more_open_than_that(tmp_path: Path) -> None:
    seen = tmp_path / "mode-before-it-lands"
    key = tmp_path / "secret_key"
    entry = {"path": str(key), "content": "not for other users\n", "mode": "0640",
             # The mode of the new file before it lands, written down by the validate command.
             "validate": f"{sys.executable} -c 'import os, sys; open(sys.argv[2], \"w\").write("
                         f"oct(os.stat(sys.argv[1]).st_mode & 0o777))' %s {seen}"}
    result = run(tmp_path, [entry])
    assert result["changed"] is True, result
    assert seen.read_text() == "0o600"
    assert mode(key) == "0640"


def test_a_new_file_without_a_mode_follows_the_umask(tmp_path: Path) -> None:
    plain = tmp_path / "plain.conf"
    umask = os.umask(0o022)
    try:
        result = run(tmp_path, [{"path": str(plain), "content": "x\n"}])
    finally:
        os.umask(umask)
    assert result["changed"] is True, result
    assert mode(plain) == "0644"
