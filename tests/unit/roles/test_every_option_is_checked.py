# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""Every option that can carry text into a file is checked by a validator first.

Each role's preflight hands its options to webstack.django.problems as
[variable, kind, value] entries (roles/<role>/tasks/preflight*.yml). This test reads
the argument specs and those entries, and fails when an option that a type or a
choice list does not already pin down has no check, or names a kind that does not
exist. Booleans, integers with no range to keep, and options limited to choices are
pinned by the argument specs themselves; what is left is listed in UNCHECKED with
the reason it is harmless.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from ansible_collections.webstack.django.plugins.plugin_utils import validate

ROLES = Path(__file__).resolve().parents[3] / "roles"
NAMES = ["base", "python", "postgresql", "redis", "backup", "gunicorn", "release", "processes", "nginx", "keepalived", "haproxy",
         "monitoring"]

# Options no validator sees, and why nothing from them can break a file.
UNCHECKED = {
    "release_source_exclude": "a regular expression used on the controller only, never written to a host",
    "release_git_key": "a private key, written whole to a 0600 file by the copy module",
    "release_secret_key": "checked for control characters by the secrets assert (no_log-safe)",
    "release_db_password": "checked for control characters by the secrets assert, quoted by the env template",
    "postgresql_db_password": "checked for control characters by its own assert; passed to the module, not a file",
    "postgresql_replication_password": "checked for control characters by its own assert; escaped into a passfile",
    "postgresql_restore_file": "an entry point's option (restore), checked there",
    "redis_password": "checked for control characters by its own assert; only its SHA-256 reaches a file",
    "release_redis_password": "checked for control characters by its own assert, percent-encoded into the URLs",
    "release_media_s3_secret_access_key": "checked for control characters by the bucket's assert, quoted by the env template",
    "monitoring_5xx_ratio": "a float by its argument spec, kept between 0 and 1 by the monitoring preflight's assert",
    "redis_monitoring_password": "derived from the checked redis_password; only its SHA-256 reaches a file",
    "backup_ssh_key": "a private key, checked for OpenSSH's header by the repository's assert, written whole to a 0600 file",
}

CHECK = re.compile(r"^\s+- \[(?P<name>[a-z0-9_\[\].]+), \"(?P<kind>[^\"]+)\", ")


def _specs(role: str) -> dict:
    return yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]


def _checks(role: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROLES / role / "tasks").glob("preflight*.yml")):
        for line in path.read_text().splitlines():
            match = CHECK.match(line)
            if match:
                found.setdefault(match["name"], []).append(match["kind"])
    return found


def _pinned(spec: dict) -> bool:
    """Options whose argument spec alone leaves nothing hostile: booleans and choices."""
    return spec.get("type") == "bool" or "choices" in spec


@pytest.mark.parametrize("role", NAMES)
def test_every_free_option_has_a_check(role: str) -> None:
    checks = _checks(role)
    missing = [name for name, spec in _specs(role).items()
               if not _pinned(spec) and name not in checks and name not in UNCHECKED]
    assert missing == []


@pytest.mark.parametrize("role", NAMES)
def test_every_check_names_a_known_kind_and_option(role: str) -> None:
    options = _specs(role)
    for name, kinds in _checks(role).items():
        assert name.split("[")[0] in options or name in UNCHECKED, name
        for kind in kinds:
            base = kind.rstrip("?").split(":")[-1]
            assert base in validate.KINDS, (name, kind)


def test_the_unchecked_list_is_honest() -> None:
    """Each UNCHECKED option exists, and is neither pinned by its spec nor checked already."""
    options = {name: spec for role in NAMES for name, spec in _specs(role).items()}
    checked = {name for role in NAMES for name in _checks(role)}
    for name in UNCHECKED:
        if name == "postgresql_restore_file":
            continue  # the restore entry point's, not main's
        assert name in options, name
        assert name not in checked, name
        assert not _pinned(options[name]), name


def _descriptions(spec: dict) -> list[str]:
    text = spec.get("description", [])
    return [text] if isinstance(text, str) else list(text)


@pytest.mark.parametrize("role", NAMES + ["common"])
def test_no_description_holds_a_template(role: str) -> None:
    """Ansible templates an argument spec when it checks a role's options: a {{ }} in a description runs."""
    spec = yaml.safe_load((ROLES / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    found = [f"{entry}.{name}" for entry, point in spec.items() for name, option in point.get("options", {}).items()
             if any("{{" in text or "{%" in text for text in _descriptions(option))]
    assert found == []
