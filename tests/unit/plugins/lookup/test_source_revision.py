# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The source_revision lookup names a project by its commit and finds what differs from it, with a real git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from ansible.errors import AnsibleLookupError
from ansible_collections.webstack.django.plugins.lookup.source_revision import source_revision

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
EXCLUDE = r"(^|/)__pycache__(/|$)|\.py[co]$"


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.test", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.test", "HOME": str(root), "PATH": "/usr/bin:/bin"}
                          ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose project lives in a subdirectory, as examples/app lives in this one."""
    project = tmp_path / "repo" / "app"
    project.mkdir(parents=True)
    (project / "manage.py").write_text("print('manage')\n")
    (project / "settings.py").write_text("DEBUG = False\n")
    (tmp_path / "repo" / "README").write_text("outside the project\n")
    (tmp_path / "repo" / ".gitignore").write_text("*.sqlite3\n")
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", "-A")
    git(tmp_path / "repo", "commit", "-qm", "first")
    return project


def test_a_clean_work_tree_is_named_by_its_commit(repo: Path) -> None:
    assert source_revision(str(repo), EXCLUDE) == {"commit": git(repo, "rev-parse", "HEAD"), "changes": []}


def test_what_differs_below_the_directory_is_listed(repo: Path) -> None:
    (repo / "settings.py").write_text("DEBUG = True\n")
    (repo / "new_view.py").write_text("")
    (repo / "manage.py").unlink()
    (repo / "db.sqlite3").write_text("ignored by .gitignore")
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "settings.cpython-311.pyc").write_bytes(b"excluded")
    (repo.parent / "README").write_text("a change outside the project\n")
    assert source_revision(str(repo), EXCLUDE)["changes"] == ["manage.py", "new_view.py", "settings.py"]


def test_a_staged_rename_is_a_change(repo: Path) -> None:
    git(repo, "mv", "settings.py", "base.py")
    assert source_revision(str(repo), EXCLUDE)["changes"] == ["base.py"]


def test_a_directory_outside_any_work_tree_has_no_commit(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("")
    assert source_revision(str(tmp_path), EXCLUDE) == {"commit": "", "changes": []}


def test_a_repository_without_commits_has_no_commit(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "manage.py").write_text("")
    assert source_revision(str(tmp_path), EXCLUDE) == {"commit": "", "changes": []}


@pytest.mark.parametrize(("directory", "exclude", "message"), [
    ("/nonexistent/shop", "", "not a directory"),
    (".", "(", "not a regular expression"),
])
def test_refuses_what_it_cannot_read(directory: str, exclude: str, message: str) -> None:
    with pytest.raises(AnsibleLookupError, match=message):
        source_revision(directory, exclude)


def test_an_ignored_directory_of_another_tree_is_named_by_no_commit(repo: Path) -> None:
    """A project generated under an ignored directory (a build or cache folder) holds no file of the commit."""
    (repo.parent / ".gitignore").write_text("*.sqlite3\n.cache/\n")
    git(repo.parent, "commit", "-qam", "ignore the cache")
    generated = repo.parent / ".cache" / "mysite"
    generated.mkdir(parents=True)
    (generated / "manage.py").write_text("print('generated')\n")
    assert source_revision(str(generated), EXCLUDE) == {"commit": "", "changes": []}
