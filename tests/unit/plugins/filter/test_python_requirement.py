# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The python_requirement filter reads the Python a project asks for, and says what a version does not meet."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.python_requirement import python_requirement

PEP621 = '[project]\nname = "shop"\nrequires-python = "{}"\n'
POETRY = '[tool.poetry]\nname = "shop"\n[tool.poetry.dependencies]\npython = "{}"\nDjango = "^5.2"\n'


@pytest.mark.parametrize(("files", "version"), [
    ({}, "3.11.2"),
    ({"pyproject.toml": PEP621.format(">=3.10")}, "3.11.2"),
    ({"pyproject.toml": PEP621.format(">=3.11,<3.14")}, "3.13.5"),
    ({"pyproject.toml": POETRY.format("^3.10")}, "3.13.5"),
    ({"pyproject.toml": POETRY.format("~3.11")}, "3.11.2"),
    ({"pyproject.toml": '[project]\nname = "shop"\n'}, "3.11.2"),
    ({".python-version": "3.11\n"}, "3.11.2"),
    ({".python-version": "# pyenv\n3.13.1\n3.12.0\n"}, "3.13.5"),
    ({".python-version": "system\n"}, "3.11.2"),
    ({"runtime.txt": "python-3.11.9\n"}, "3.11.2"),
    ({"runtime.txt": "", ".python-version": None}, "3.11.2"),
])
def test_a_version_that_meets_the_demand(files: dict, version: str) -> None:
    assert python_requirement(files, version) == []


@pytest.mark.parametrize(("files", "version", "message"), [
    ({"pyproject.toml": PEP621.format(">=3.12")}, "3.11.2", "[project] requires-python is '>=3.12'"),
    ({"pyproject.toml": PEP621.format("<3.11")}, "3.11.2", "[project] requires-python is '<3.11'"),
    ({"pyproject.toml": POETRY.format("~3.10")}, "3.11.2", "[tool.poetry.dependencies] python is '>=3.10,<3.11'"),
    ({"pyproject.toml": POETRY.format("^2.7")}, "3.11.2", "python is '>=2.7,<3'"),
    ({".python-version": "3.12.4\n"}, "3.11.2", ".python-version asks for Python 3.12 ('3.12.4')"),
    ({"runtime.txt": "python-3.10.12\n"}, "3.11.2", "runtime.txt asks for Python 3.10 ('python-3.10.12')"),
    ({"runtime.txt": "pypy3.9\n"}, "3.11.2", "is not a CPython version"),
    ({"pyproject.toml": PEP621.format("three or newer")}, "3.11.2", "not a version specifier"),
])
def test_a_version_that_does_not(files: dict, version: str, message: str) -> None:
    problems = python_requirement(files, version)
    assert len(problems) == 1 and message in problems[0], problems


def test_every_file_that_disagrees_is_named() -> None:
    files = {"pyproject.toml": PEP621.format(">=3.12"), "runtime.txt": "python-3.12.1", ".python-version": "3.11"}
    problems = python_requirement(files, "3.11.2")
    assert [problem.split()[0] for problem in problems] == ["pyproject.toml", "runtime.txt"]


@pytest.mark.parametrize(("files", "version", "message"), [
    (["runtime.txt"], "3.11", "expects a directory or a mapping"),
    ("/nonexistent/shop", "3.11", "not a directory on the controller"),
    ({}, "eleven", "not a Python version"),
    ({"pyproject.toml": "[project\n"}, "3.11", "not TOML"),
])
def test_refuses_what_it_cannot_read(files: object, version: str, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=message):
        python_requirement(files, version)


def test_reads_a_project_directory(tmp_path) -> None:
    (tmp_path / "manage.py").write_text("", encoding="utf-8")
    assert python_requirement(str(tmp_path), "3.11.2") == []
    (tmp_path / "runtime.txt").write_text("python-3.10.12\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(PEP621.format(">=3.10"), encoding="utf-8")
    assert python_requirement(str(tmp_path), "3.11.2") == ["runtime.txt asks for Python 3.10 ('python-3.10.12')"]
