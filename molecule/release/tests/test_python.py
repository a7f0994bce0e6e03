"""The python role's part of the release host: system Python, uv, the app's user and tree."""

from __future__ import annotations

import pytest
from testinfra.host import Host

ROOT = "/srv/shop"


def test_system_python_is_debian_and_protected(host: Host) -> None:
    assert host.package("python3-venv").is_installed
    result = host.run("python3 -m pip install --dry-run six")
    assert result.rc != 0
    assert "externally-managed-environment" in result.stderr


def test_compilers_for_dependencies_without_wheels(host: Host) -> None:
    """python_build_deps: true (the default) here; the cluster, with false, has none (its tests/test_cluster.py)."""
    for package in ("build-essential", "python3-dev", "pkg-config"):
        assert host.package(package).is_installed, package
    assert host.run("gcc --version").rc == 0


def test_app_user_cannot_log_in_or_sudo(host: Host) -> None:
    user = host.user("shop")
    assert user.exists
    assert user.shell == "/usr/sbin/nologin"
    assert user.group == "shop"
    assert user.groups == ["shop"]
    assert user.uid < 1000
    assert host.run("sudo -l -U shop").stdout.count("not allowed") == 1


@pytest.mark.parametrize(
    ("path", "owner", "mode"),
    [
        (ROOT, "root", 0o751),
        (f"{ROOT}/releases", "root", 0o755),
        (f"{ROOT}/shared", "root", 0o750),
        (f"{ROOT}/shared/media", "shop", 0o750),
        (f"{ROOT}/logs", "shop", 0o750),
        (f"{ROOT}/run", "shop", 0o750),
    ],
)
def test_layout(host: Host, path: str, owner: str, mode: int) -> None:
    directory = host.file(path)
    assert directory.is_directory
    assert directory.user == owner
    assert directory.group == "shop"
    assert directory.mode == mode


@pytest.mark.parametrize(
    ("path", "writable"),
    [("shared/media", True), ("logs", True), ("run", True), ("releases", False), ("shared", False), ("", False)],
)
def test_service_user_writes_only_where_it_must(host: Host, path: str, writable: bool) -> None:
    target = f"{ROOT}/{path}/.probe".replace("//", "/")
    result = host.run(f"sudo -u shop touch {target} && rm -f {target}")
    assert (result.rc == 0) == writable, result.stderr


def test_uv_is_pinned_and_builds_a_venv(host: Host) -> None:
    # The test hosts trust an extra CA (a TLS proxy), like a host on a private network.
    assert "system-certs = true" in host.file("/etc/uv/uv.toml").content_string
    assert host.check_output("/opt/webstack/bin/uv --version").startswith("uv 0.13.8")
    host.check_output("rm -rf /var/tmp/uvtest && /opt/webstack/bin/uv venv --quiet --python /usr/bin/python3 /var/tmp/uvtest")
    host.check_output("/opt/webstack/bin/uv pip install --quiet --python /var/tmp/uvtest/bin/python asgiref==3.8.1")
    assert host.check_output("/var/tmp/uvtest/bin/python -c 'import asgiref; print(asgiref.__version__)'") == "3.8.1"


def test_pip_builds_a_venv(host: Host) -> None:
    host.check_output("rm -rf /var/tmp/piptest && python3 -m venv /var/tmp/piptest")
    host.check_output("/var/tmp/piptest/bin/pip install --quiet asgiref==3.8.1")
    assert host.check_output("/var/tmp/piptest/bin/python -c 'import asgiref; print(asgiref.__version__)'") == "3.8.1"
