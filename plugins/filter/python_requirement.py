# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.python_requirement filter: whether a Python satisfies what a project asks for."""

from __future__ import annotations

DOCUMENTATION = r"""
name: python_requirement
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: What a project's files ask of Python that a given Python version does not satisfy
description:
  - Reads the Python a project asks for, where projects write it, and compares it with a version (the host's
    Debian Python). Returns one message per file whose demand the version does not meet; none when it does, or
    when the project names no Python.
  - C(pyproject.toml) - C([project] requires-python) (PEP 440), or Poetry's C([tool.poetry.dependencies] python)
    (C(^3.10), C(~3.10) or PEP 440).
  - C(.python-version) - pyenv's first version (C(3.10) or C(3.10.4)); its minor version must be the same.
    C(system) asks for none.
  - C(runtime.txt) - the PaaS form C(python-3.10.12); its minor version must be the same.
options:
  _input:
    description:
      - The project's directory on the controller, whose C(pyproject.toml), C(.python-version) and C(runtime.txt)
        are read where they exist; or each file's name and text (a missing file left out, or an empty text).
    type: raw
    required: true
  version:
    description: The Python version, C(3.11.2) or C(3.11).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a project that asks for another Python
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join('; ') }}"
  vars:
    __problems: "{{ '/home/me/shop' | webstack.django.python_requirement(ansible_facts['python_version']) }}"
"""

RETURN = r"""
_value:
  description: One message per file whose demand the version does not meet.
  type: list
  elements: str
"""

import re
import tomllib
from pathlib import Path

from ansible.errors import AnsibleFilterError

# packaging comes with ansible-core on every controller; the import sanity test
# loads plugins without it.
try:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version
except ImportError:  # pragma: no cover
    SpecifierSet = None

_FILES = ("pyproject.toml", ".python-version", "runtime.txt")
_MINOR = re.compile(r"^(?:python-?|cpython-?)?(\d+)\.(\d+)(?:\.\d+)?\S*$")


def _poetry(constraint: str) -> str:
    """Poetry's ^ and ~ as PEP 440 (^3.10 is >=3.10,<4; ~3.10 is >=3.10,<3.11)."""
    parts = []
    for item in constraint.split(","):
        item = item.strip()
        match = re.fullmatch(r"([\^~])(\d+)(?:\.(\d+))?(?:\.(\d+))?", item)
        if not match:
            parts.append(item)
            continue
        major, minor = int(match.group(2)), int(match.group(3) or 0)
        upper = f"{major + 1}" if match.group(1) == "^" else f"{major}.{minor + 1}"
        parts += [f">={item[1:]}", f"<{upper}"]
    return ",".join(parts)


def _pyproject(text: str) -> tuple[str, str] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise AnsibleFilterError(f"python_requirement: pyproject.toml is not TOML: {error}") from error
    if "requires-python" in data.get("project", {}):
        return "[project] requires-python", str(data["project"]["requires-python"])
    poetry = data.get("tool", {}).get("poetry", {}).get("dependencies", {}).get("python")
    if isinstance(poetry, str):
        return "[tool.poetry.dependencies] python", _poetry(poetry)
    return None


def _same_minor(name: str, text: str, version: Version) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if not lines or lines[0] == "system":
        return None
    match = _MINOR.match(lines[0])
    if not match:
        return f"{name} names {lines[0]!r}, which is not a CPython version (3.12, 3.12.4, python-3.12.4)"
    if (int(match.group(1)), int(match.group(2))) != (version.major, version.minor):
        return f"{name} asks for Python {match.group(1)}.{match.group(2)} ({lines[0]!r})"
    return None


def _read(directory: str) -> dict[str, str]:
    root = Path(directory)
    if not root.is_dir():
        raise AnsibleFilterError(f"python_requirement: {directory} is not a directory on the controller")
    found = {}
    for name in _FILES:
        path = root / name
        if path.is_file():
            try:
                found[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise AnsibleFilterError(f"python_requirement: cannot read {path}: {error}") from error
    return found


def python_requirement(files: object, version: object) -> list[str]:
    if SpecifierSet is None:  # pragma: no cover
        raise AnsibleFilterError("python_requirement needs the Python library packaging on the controller")
    if isinstance(files, str):
        files = _read(files)
    if not isinstance(files, dict):
        raise AnsibleFilterError(
            f"python_requirement: expects a directory or a mapping of file name to text, got {type(files).__name__}")
    try:
        have = Version(str(version))
    except InvalidVersion as error:
        raise AnsibleFilterError(f"python_requirement: {version!r} is not a Python version") from error
    problems = []
    for name, text in files.items():
        text = text or ""
        if not isinstance(text, str) or not text.strip():
            continue
        base = str(name).rsplit("/", 1)[-1]
        if base == "pyproject.toml":
            found = _pyproject(text)
            if found is None:
                continue
            where, spec = found
            try:
                wanted = SpecifierSet(spec)
            except InvalidSpecifier:
                problems.append(f"{name} {where} is {spec!r}, which is not a version specifier (PEP 440)")
                continue
            if not wanted.contains(have, prereleases=True):
                problems.append(f"{name} {where} is {spec!r}")
        elif base in (".python-version", "runtime.txt"):
            problem = _same_minor(name, text, have)
            if problem:
                problems.append(problem)
    return problems


class FilterModule:
    def filters(self) -> dict:
        return {"python_requirement": python_requirement}
