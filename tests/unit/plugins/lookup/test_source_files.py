# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The source_files and source_archive lookups: a project directory read and packed on the controller."""

from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.webstack.django.plugins.lookup.source_archive import source_archive
from ansible_collections.webstack.django.plugins.lookup.source_files import source_files


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a hidden file, a nested package, a link to a file and a link to a directory."""
    root = tmp_path / "shop"
    (root / "notes" / "templates").mkdir(parents=True)
    (root / "manage.py").write_text("print('manage')\n")
    (root / ".env.example").write_text("DJANGO_DEBUG=False\n")
    (root / "notes" / "views.py").write_text("def index(request): ...\n")
    (root / "notes" / "templates" / "index.html").write_bytes(b"<h1>\xc3\xa9</h1>\n")
    (root / "link.py").symlink_to(root / "manage.py")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not the project's\n")
    (root / "linked-dir").symlink_to(outside)
    return root


def test_every_regular_file_with_its_sha1_and_no_link(project: Path) -> None:
    found = source_files(str(project))
    assert [Path(entry["path"]).relative_to(project).as_posix() for entry in found] == [
        ".env.example", "manage.py", "notes/templates/index.html", "notes/views.py"]
    assert all(entry["checksum"] == hashlib.sha1(Path(entry["path"]).read_bytes()).hexdigest() for entry in found)


def test_a_changed_file_changes_its_checksum_only(project: Path) -> None:
    before = {entry["path"]: entry["checksum"] for entry in source_files(str(project))}
    (project / "notes" / "views.py").write_text("def index(request): return None\n")
    after = {entry["path"]: entry["checksum"] for entry in source_files(str(project))}
    assert [path for path in before if before[path] != after[path]] == [str(project / "notes" / "views.py")]


def test_a_directory_that_is_not_there_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnsibleLookupError, match="is not an absolute path of a directory on the controller"):
        source_files(str(tmp_path / "missing"))
    with pytest.raises(AnsibleLookupError, match="is not an absolute path"):
        source_files("relative/dir")


def test_the_archive_holds_the_files_named_from_the_directory(project: Path, tmp_path: Path) -> None:
    where = tmp_path / "local-tmp"
    where.mkdir()
    files = source_files(str(project))
    archive = source_archive(str(project), files, str(where))
    assert Path(archive).parent == where
    with tarfile.open(archive) as tar:
        # Each folder before the files in it.
        assert tar.getnames() == ["notes", "notes/templates", ".env.example", "manage.py", "notes/templates/index.html",
                                  "notes/views.py"]
        assert tar.getmember("notes/templates").isdir() and tar.getmember("manage.py").isfile()
        assert tar.extractfile("notes/templates/index.html").read() == b"<h1>\xc3\xa9</h1>\n"
    # Nothing else is left in the temporary directory.
    assert os.listdir(where) == [Path(archive).name]


def test_the_same_files_are_packed_once_and_other_files_anew(project: Path, tmp_path: Path) -> None:
    files = source_files(str(project))
    first = source_archive(str(project), files, str(tmp_path))
    stamp = os.stat(first).st_mtime_ns
    assert source_archive(str(project), files, str(tmp_path)) == first
    assert os.stat(first).st_mtime_ns == stamp
    (project / "manage.py").write_text("print('changed')\n")
    assert source_archive(str(project), source_files(str(project)), str(tmp_path)) != first


def test_a_file_outside_the_directory_is_refused(project: Path, tmp_path: Path) -> None:
    outside = [{"path": str(tmp_path / "outside" / "secret.txt"), "checksum": ""}]
    with pytest.raises(AnsibleLookupError, match="is not a file below"):
        source_archive(str(project), outside, str(tmp_path))
    # A sibling whose name starts with the directory's is outside it too.
    sibling = tmp_path / "shop-old"
    sibling.mkdir()
    (sibling / "x.py").write_text("x\n")
    with pytest.raises(AnsibleLookupError, match="is not a file below"):
        source_archive(str(project), [{"path": str(sibling / "x.py"), "checksum": ""}], str(tmp_path))


# The release role's default (roles/release/defaults/main.yml).
DEFAULT_EXCLUDE = (r"(^|/)(\.git|__pycache__|\.venv|venv|node_modules|\.mypy_cache|\.pytest_cache|\.tox)(/|$)"
                   r"|\.py[co]$|^(db\.sqlite3|media|REVISION)(/|$)")


def test_the_default_exclude_leaves_out_what_a_release_must_not_carry(project: Path) -> None:
    for folder in (".git/objects", "node_modules/left-pad", "venv/bin", "notes/__pycache__", "media/uploads",
                   "notes/media", "static/css"):
        (project / folder).mkdir(parents=True)
        (project / folder / "file").write_text(folder)
    (project / "db.sqlite3").write_text("rows")
    (project / "notes" / "views.cpython-311.pyc").write_bytes(b"\0")
    (project / "notes" / "db.sqlite3.py").write_text("# a module, not the database\n")
    kept = [Path(entry["path"]).relative_to(project).as_posix()
            for entry in source_files(str(project), DEFAULT_EXCLUDE)]
    assert kept == [".env.example", "manage.py", "notes/db.sqlite3.py", "notes/media/file",
                    "notes/templates/index.html", "notes/views.py", "static/css/file"]


def test_a_directory_left_out_is_not_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "node_modules" / "left-pad").mkdir(parents=True)
    (project / "node_modules" / "left-pad" / "index.js").write_text("module.exports = 1\n")
    from ansible_collections.webstack.django.plugins.lookup import source_files as plugin

    walked: list[str] = []
    real_walk = os.walk

    def walk(top, **kwargs):  # noqa: ANN001, ANN202 - os.walk's own signature
        for folder, dirs, names in real_walk(top, **kwargs):
            walked.append(os.path.relpath(folder, project))
            yield folder, dirs, names

    monkeypatch.setattr(plugin.os, "walk", walk)
    found = source_files(str(project), r"(^|/)node_modules(/|$)")
    assert all("node_modules" not in entry["path"] for entry in found)
    assert sorted(walked) == [".", "notes", "notes/templates"]


def test_a_bad_exclude_is_refused(project: Path) -> None:
    with pytest.raises(AnsibleLookupError, match="exclude is not a regular expression"):
        source_files(str(project), "(unclosed")
