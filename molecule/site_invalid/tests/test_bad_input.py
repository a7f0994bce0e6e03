"""Bad input through the site playbook is refused before any change, naming the variable.

Each case runs `webstack.django.site` against a bare host (in every group) with one
wrong input. The validation play must refuse it: the run fails, the message holds the
variable's name (and what is wrong), the recap counts no change, and the host's files,
nftables ruleset and package list are as they were.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import assert_refused

NAME = webstack_test.container("webstack-invalid")
testinfra_hosts = [NAME]

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2mYh8ZsQe5bqQfZl3yq2Hh0k1yq9Yc4Q1n0o3f7QkD admin@example"
ADMIN = {"name": "admin", "ssh_keys": [KEY]}
LONG = "a" * 10000

# name -> (extra vars, texts the failure message must contain)
CASES: dict[str, tuple[dict, list[str]]] = {
    # --- base: types, YAML 1.1 surprises, choices ---------------------------------
    "wrong type": ({"base_ssh_max_auth_tries": "many"}, ["base_ssh_max_auth_tries", "int"]),
    "unknown choice": ({"base_ssh_permit_root_login": "maybe"}, ["base_ssh_permit_root_login", "maybe"]),
    "unquoted no (a boolean)": ({"base_ssh_permit_root_login": False}, ["base_ssh_permit_root_login"]),
    "yes where a name is expected": ({"base_ssh_login_group": True}, ["base_ssh_login_group", "boolean"]),
    "a list where a string is expected": ({"base_timezone": ["Europe/Paris"]}, ["base_timezone"]),
    "unknown choice in a nested option": ({"base_admin_users": [dict(ADMIN, sudo="always")]}, ["sudo", "always"]),
    # --- base: lock-outs ---------------------------------------------------------------
    "password login off with no keys": ({"base_admin_users": [{"name": "admin"}]},
                                        ["base_ssh_password_authentication is false", "has ssh_keys"]),
    "no admin at all": ({"base_admin_users": []}, ["nobody could log in"]),
    "not an ssh key": ({"base_admin_users": [{"name": "admin", "ssh_keys": ["hunter2"]}]},
                       ["base_admin_users", "OpenSSH public key"]),
    "a truncated ssh key": ({"base_admin_users": [{"name": "admin", "ssh_keys": [KEY[:60]]}]},
                            ["base_admin_users", "cut short"]),
    "an admin name with a newline": ({"base_admin_users": [dict(ADMIN, name="admin\n")]},
                                     ["base_admin_users", "is not a login name"]),
    "an admin name with a trailing space": ({"base_admin_users": [dict(ADMIN, name="admin ")]},
                                            ["base_admin_users", "is not a login name"]),
    "password and hash together": ({"base_admin_users": [dict(ADMIN, password="x", password_hash="$6$abc$def")]},
                                   ["base_admin_users", "both password and password_hash"]),
    "no sessions allowed": ({"base_ssh_max_sessions": 0}, ["base_ssh_max_sessions", "less than 1"]),
    "an admin shell that is not installed": ({"base_admin_shell": "/bin/zsh"},
                                             ["base_admin_users[].shell", "/bin/zsh", "not an executable"]),
    # --- base: injection into root-owned files -------------------------------------------
    "a newline in a sysctl value": ({"base_sysctl_settings": {"net.ipv4.ip_forward": "0\nkernel.sysrq = 1"}},
                                    ["base_sysctl_settings", "control character"]),
    "a newline in an ssh group": ({"base_ssh_allow_groups": ["ops\nAllowTcpForwarding yes"]},
                                  ["base_ssh_allow_groups", "is not a login name"]),
    "a quote in the upgrades mail": ({"base_unattended_upgrades_mail": 'ops"@example.com'},
                                     ["base_unattended_upgrades_mail", "is not an e-mail address"]),
    "a quote in a firewall comment": ({"base_firewall_allowed": [{"port": 8080, "comment": 'say "hi"'}]},
                                      ["base_firewall_allowed", "comment"]),
    "a bad source address": ({"base_firewall_allowed": [{"port": 5432, "sources": ["10.0.0.300/24"]}]},
                             ["base_firewall_allowed", "10.0.0.300/24"]),
    "a port out of range": ({"base_firewall_allowed": [{"port": 70000}]}, ["base_firewall_allowed", "port"]),
    "a bad rate limit": ({"base_firewall_ssh_rate_limit": "lots"}, ["base_firewall_ssh_rate_limit", "lots"]),
    "a fail2ban time in words": ({"base_fail2ban_bantime": "until tomorrow"}, ["base_fail2ban_bantime", "fail2ban time"]),
    "shell metacharacters in a package": ({"base_extra_packages": ["htop; rm -rf /"]},
                                          ["base_extra_packages", "Debian package name"]),
    "a tab in the banner": ({"base_login_banner": "Authorised\tonly"}, ["base_login_banner", "control character"]),
    "a 10000-character group": ({"base_ssh_login_group": LONG}, ["base_ssh_login_group", "is not a login name"]),
    "unicode in a group": ({"base_ssh_login_group": "ssh\u2713login"}, ["base_ssh_login_group", "is not a login name"]),
    "a template that renders to a bad zone": ({"base_timezone": "Europe/{{ 'Par' }}is/../../etc"}, ["base_timezone"]),
    # --- base: what only the host can judge -----------------------------------------------
    "an unknown time zone": ({"base_timezone": "Mars/Olympus_Mons"}, ["base_timezone", "not a time zone of this host"]),
    "an unknown package": ({"base_extra_packages": ["webstack-no-such-package"]},
                           ["base_extra_packages", "webstack-no-such-package", "package sources"]),
    # --- base: data loss ----------------------------------------------------------------
    "swap over a system file": ({"base_swap_file_size_mb": 64, "base_swap_file_path": "/etc/passwd"},
                                ["base_swap_file_path", "/etc"]),
    "swap through ..": ({"base_swap_file_size_mb": 64, "base_swap_file_path": "/etc/../etc/passwd"},
                        ["base_swap_file_path", "normalised"]),
    "swap over an uploaded file": ({"base_swap_file_size_mb": 64, "base_swap_file_path": "/data/uploads/photo.jpg"},
                                   ["base_swap_file_path", "not a swap file"]),
    # --- postgresql ---------------------------------------------------------------------------
    "an SQL-injection database name": ({"webstack_db_name": "shop; DROP TABLE users"},
                                       ["postgresql_db_name", "SQL identifier"]),
    "a schedule in words": ({"postgresql_backup_schedule": "every day at 3"},
                            ["postgresql_backup_schedule", "calendar expression"]),
    "backups into PostgreSQL's home": ({"postgresql_backup_dir": "/var/lib/postgresql"},
                                       ["postgresql_backup_dir", "/var/lib/postgresql"]),
    "a network that cannot be": ({"postgresql_client_addresses": ["999.1.1.1/99"]},
                                 ["postgresql_client_addresses", "999.1.1.1/99"]),
    "a newline in a server setting": ({"postgresql_settings": {"work_mem": "4MB\nlisten_addresses = '*'"}},
                                      ["postgresql_settings", "control character"]),
    "a short database password": ({"webstack_db_password": "short"}, ["postgresql_db_password"]),
    # --- backup ---------------------------------------------------------------------------------
    "backups kept on the host, with a short password": (
        {"webstack_backup_repository": "/var/backups/restic", "webstack_backup_password": "hunter2"},
        ["backup_repository", "a local path would keep the backup on the host it protects",
         "backup_password: its value (not shown) is shorter than 12 characters"]),
    # --- monitoring -----------------------------------------------------------------------------
    "an alert that does not exist, and a duration in words": (
        {"monitoring_alert_for": {"host_gone": "5m"}, "monitoring_backup_max_age": "a day"},
        ["monitoring_backup_max_age", "is not a Prometheus duration"]),
    "alerts mailed with no relay": (
        {"monitoring_alert_email_to": ["ops@example.test"], "monitoring_alert_for": {"host_gone": "5m"}},
        ["monitoring_alert_for names no alert: host_gone", "monitoring_alert_email_to needs an SMTP relay"]),
    # --- python, gunicorn, release, nginx -------------------------------------------------------
    "an app root in /etc": ({"webstack_app_root": "/etc/shop"}, ["python_app_root", "/etc"]),
    "workers in words": ({"gunicorn_workers": "four"}, ["gunicorn_workers", "int"]),
    "an unquoted octal socket mode": ({"gunicorn_socket_mode": 432}, ["gunicorn_socket_mode", "quoted"]),
    "a newline in the app's environment": ({"gunicorn_environment": {"FOO": "x\nExecStartPre=/bin/false"}},
                                           ["gunicorn_environment", "control character"]),
    "shell in the WSGI app": ({"webstack_wsgi_app": "mysite.wsgi:application; rm -rf /"},
                              ["gunicorn_wsgi_app", "module.path:callable"]),
    "a health path without a slash": ({"release_health_path": "healthz"}, ["release_health_path", "URL path"]),
    "a domain with a space": ({"webstack_domains": ["shop example.test"]}, ["shop example.test"]),
    "a redirect from the site's own name": ({"webstack_redirect_domains": ["shop.example.test"]},
                                            ["nginx_redirect_domains (webstack_redirect_domains) names shop.example.test",
                                             "which nginx_domains (webstack_domains) names too"]),
    "a static URL without its slash": ({"nginx_static_url": "/static"}, ["nginx_static_url", "URL prefix"]),
    "a read timeout of zero": ({"nginx_proxy_read_timeout": 0}, ["nginx_proxy_read_timeout", "less than 1"]),
    "a quote in the CSP": ({"nginx_content_security_policy": "default-src 'self'\" always; add_header X 1"},
                           ["nginx_content_security_policy", "cannot carry"]),
    "an upload limit in words": ({"nginx_client_max_body_size": "lots"}, ["nginx_client_max_body_size", "size"]),
    # --- options that disagree across roles ---------------------------------------------------
    "one role's app root": ({"python_app_root": "/opt/shop"},
                            ["app_root", "python_app_root is '/opt/shop'", "webstack_app_root"]),
    "two installers": ({"python_installer": "pip"}, ["installer", "python_installer is 'pip'", "release_installer is 'uv'"]),
    "one role's names": ({"release_domains": ["other.example.test"]},
                         ["domains: the roles disagree", "release_domains is", "other.example.test", "webstack_domains once"]),
    "one role's socket": ({"gunicorn_socket_path": "/run/shop/other.sock"}, ["app_socket", "gunicorn_socket_path"]),
    "two ports for one database": ({"postgresql_port": 5433}, ["db_port", "postgresql_port is '5433'", "release_db_port"]),
}

# Everything a run would touch first. Ansible's own temp files (/root/.ansible)
# and the journal are left out.
SNAPSHOT = (
    "find /etc /usr /var/lib /var/backups /srv /opt /home /root /swapfile /data -xdev -newer /run/webstack-marker "
    "-not -path '/root/.ansible*' -not -path '/var/lib/systemd/*' -print 2>/dev/null; "
    "nft list ruleset 2>/dev/null | sha256sum; dpkg-query -W -f '${Package} ${Version}\\n' | sha256sum; "
    "sha256sum /data/uploads/photo.jpg"
)


@pytest.fixture(scope="module")
def bare(host: Host) -> Host:
    host.check_output("touch /run/webstack-marker && sleep 1")
    return host


# The battery is split between the Debian releases, which run side by side in CI:
# the even cases on Debian 12, the odd ones on Debian 13 (docs/testing.md).
# WEBSTACK_CASES=all runs every case on whichever release runs.
MINE = webstack_test.split(list(CASES))


@pytest.mark.parametrize("case", MINE, ids=MINE)
def test_bad_input_is_refused_before_any_change(bare: Host, case: str) -> None:
    extra_vars, expected = CASES[case]
    before = bare.run(SNAPSHOT).stdout
    assert_refused(webstack_test.playbook(SCENARIO / "apply.yml", **extra_vars), NAME, expected)
    after = bare.run(SNAPSHOT).stdout
    assert after == before
    assert "/etc" not in after, f"{case} changed the host: {after}"


# A project's own word on its Python, one file per release (split as the cases above).
PYTHON_CASES = {
    "runtime.txt": ("python-3.10.12\n", "runtime.txt asks for Python 3.10 ('python-3.10.12')"),
    "pyproject.toml": ('[project]\nname = "shop"\nrequires-python = ">=3.14"\n', "requires-python is '>=3.14'"),
}
MINE_PYTHON = webstack_test.split(list(PYTHON_CASES))


@pytest.mark.parametrize("name", MINE_PYTHON, ids=MINE_PYTHON)
def test_a_project_that_asks_for_another_python_is_refused(bare: Host, tmp_path: Path, name: str) -> None:
    """What the project's file asks for, against the host's Debian Python, before any change."""
    text, expected = PYTHON_CASES[name]
    project = webstack_test.app_variant(tmp_path, "asks-for-python")
    (project / name).write_text(text, encoding="utf-8")
    before = bare.run(SNAPSHOT).stdout
    run = webstack_test.playbook(SCENARIO / "apply.yml", webstack_source_path=str(project))
    assert_refused(run, NAME, ["release_python_check: false", expected, "makes the release's virtualenv with Debian's Python"])
    assert bare.run(SNAPSHOT).stdout == before


@webstack_test.only_on("trixie")
def test_uncommitted_changes_are_refused(bare: Host, tmp_path: Path) -> None:
    """A source directory in a git work tree ships its commit: an edit not committed is refused before any change."""
    project = webstack_test.app_variant(tmp_path, "edited")
    commit = webstack_test.committed(project)
    (project / "notes" / "views.py").write_text((project / "notes" / "views.py").read_text() + "# not committed\n")
    before = bare.run(SNAPSHOT).stdout
    run = webstack_test.playbook(SCENARIO / "apply.yml", webstack_source_path=str(project))
    assert_refused(run, NAME, [f"at commit {commit[:12]}", "1 path(s) below it differ from that commit: notes/views.py",
                               "release_allow_dirty: true"])
    assert bare.run(SNAPSHOT).stdout == before


def test_the_cases_cover_every_role() -> None:
    named = " ".join(word for _, expected in CASES.values() for word in expected)
    for prefix in ("base_", "postgresql_", "python_", "gunicorn_", "release_", "nginx_", "monitoring_"):
        assert prefix in named, prefix
    assert len(CASES) >= 40


def test_check_mode_on_a_bare_host_gets_through_validation(bare: Host) -> None:
    """--check on a bare host passes the validation play (it reads the host only) and changes nothing."""
    before = bare.run(SNAPSHOT).stdout
    run = webstack_test.playbook(SCENARIO / "apply.yml", "--check")
    text = webstack_test.output(run)
    assert "Validate | Remember what was checked" in text, text[-2000:]
    assert "Harden every server" in text, text[-2000:]
    assert bare.run(SNAPSHOT).stdout == before
