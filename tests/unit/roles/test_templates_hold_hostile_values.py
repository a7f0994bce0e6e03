# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""No option can break a file the roles write: each hostile value is refused or harmless.

Every template of every role is rendered with Ansible's own templating, from the
role's defaults, once with the defaults and once for each option with a hostile
value in it: a newline, each quote, ;, $, a backtick, {{ }}, {#, %, a backslash, NUL,
unicode and 10,000 characters. For each such value one of two things must hold:

- refused: the role's argument specs (the validator validate_argument_spec uses) or
  its preflight's checks (the [variable, kind, value] entries, the same
  webstack.django.problems the play runs) reject it, before any task changes a host;
- harmless: in every file it reaches, the value changes only the lines in which the
  default stood, adds or removes none, carries no NUL, and the file still reads back
  as what the role meant. Files whose syntax has a reader here are read back with it:
  gunicorn's Python settings with Python's parser (each value comes back as given),
  and the release's environment file with /bin/sh (each value comes back byte for
  byte, as systemd reads the same quoting). In the files whose syntax cannot quote
  some characters (sshd_config, nftables, nginx, apt), a changed line may not carry
  them.

Values are given to the templates as untrusted data, the way Ansible 2.19 treats a
value marked !unsafe or read from a file: a `{{` in them is never templated.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.webstack.django.plugins.filter.database_url_parts import database_url_parts
from ansible_collections.webstack.django.plugins.filter.env_file import env_file
from ansible_collections.webstack.django.plugins.plugin_utils import validate
from ansible_collections.webstack.django.tests.unit.roles.test_every_option_is_checked import (
    NAMES,
    ROLES,
    _checks,
    _pinned,
    _specs,
)

PAYLOADS = {
    "newline": "\nInjected yes",
    "double quote": '"',
    "single quote": "'",
    "semicolon": "; reboot",
    "dollar": "$HOME",
    "backtick": "`id`",
    "template": "{{ 7 * 7 }}",
    "comment": "{# x",
    "percent": "%n%%",
    "backslash": "\\",
    "nul": "\x00",
    "unicode": "é✓ℵ",
    "long": "x" * 10000,
}

# What the templates read besides the role's options: facts and the values that
# tasks compute before the template task (set_fact, register).
CONTEXT = {
    "ansible_managed": "Managed by webstack.django",
    "inventory_hostname": "web1",
    "ansible_facts": {"virtualization_type": "kvm", "distribution_release": "bookworm", "processor_vcpus": 2,
                      "memtotal_mb": 2048,
                      "default_ipv4": {"address": "10.0.0.5", "interface": "eth0", "prefix": "24"}},
    "__haproxy_ipv6": True,
    "webstack_lb_floating_address": "10.0.0.250",
    "__nginx_version": "1.22.1",
    "__nginx_live_stat": {"stat": {"exists": True}},
    # The key the release makes when none is given (a random one each time it is read).
    "__release_secret_made": "k" * 64,
    "groups": {"all": ["web1"], "webservers": ["web1"], "dbservers": ["web1"]},
    # The site's name, which the preflight requires.
    "webstack_domains": ["shop.example.com"],
    # A process and a scheduled job, for the processes role's units.
    "webstack_processes": {"worker": {"command": "celery -A shop worker --loglevel INFO", "count": 2}},
    "webstack_timers": {"tally": {"command": "tally_notes --quiet", "on_calendar": "daily"}},
    # Media in a bucket, so that its settings reach the environment file.
    "webstack_media_storage": "s3",
    # The backup role's timer template, as its vars pass each calendar.
    "__backup_calendar": "daily",
    # The monitoring role's targets: the hosts' addresses (topology.yml's).
    "webstack_private_address": "10.0.0.5",
    "hostvars": {"web1": {"webstack_private_address": "10.0.0.5"}},
}

# The syntax of each file, where it cannot quote some characters (validate._UNSAFE_FOR).
SYNTAX = {
    "sshd_config.j2": "sshd",
    "webstack.nft.j2": "nft",
    "site.conf.j2": "nginx",
    "headers.conf.j2": "nginx",
    "52webstack-unattended-upgrades.j2": "apt",
    "haproxy.cfg.j2": "haproxy",
}

# The secrets: typed "str" with no validator (their values are never shown), refused by
# their preflight's assert when they hold a control character.
SECRETS = {"release_secret_key", "release_db_password", "postgresql_db_password", "release_redis_password",
           "release_media_s3_secret_access_key"}

# Samples for options whose default is empty, so that there is a value to make hostile.
SAMPLES = {
    "base_admin_users": [{"name": "admin", "sudo": True, "shell": "/bin/bash",
                          "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq0VfUEnEbA3KjvbqZ8RQKJxlIEqL8lKG3wiC7Vn4Xo a@b"]}],
    "base_firewall_allowed": [{"port": 8080, "proto": "tcp", "sources": ["10.0.0.0/8"], "comment": "metrics"}],
    "base_firewall_allowed_by_site": [{"port": 443, "proto": "tcp", "sources": ["0.0.0.0/0"], "comment": "https"}],
    "base_extra_packages": ["htop"],
    "base_ssh_allow_groups": ["sshusers"],
    "base_sysctl_settings": {"vm.swappiness": "10"},
    "gunicorn_environment": {"FEATURE": "on"},
    "gunicorn_settings": {"limit_request_line": 4094},
    "release_environment": {"FEATURE": "on"},
    "release_silenced_checks": ["security.W004"],
    "release_csrf_trusted_origins": ["https://shop.example.com"],
    "release_secret_key": "k" * 50,
    "release_db_password": "secret",
    "release_redis_host": "10.0.0.7",
    "release_redis_password": "redis-secret-of-16-characters",
    "release_media_s3_bucket": "shop-media",
    "release_media_s3_endpoint_url": "https://s3.example.com",
    "release_media_s3_region": "eu-west-1",
    "release_media_s3_access_key_id": "AKIAEXAMPLE",
    "release_media_s3_secret_access_key": "media-secret",
    "release_media_s3_custom_domain": "media.example.com",
    "release_email_url": "smtp+tls://shop%40example.com:s3cret@smtp.example.com:587",
    "release_email_from": "shop@example.com",
    "release_sentry_dsn": "https://0123abcd@o4500.ingest.sentry.io/4501",
    "processes_declared": {"worker": {"command": "celery -A shop worker --loglevel INFO", "count": 2}},
    "processes_timers": {"tally": {"command": "tally_notes --quiet", "on_calendar": "daily"}},
    "processes_default_group": "webservers",
    "monitoring_alert_email_to": ["ops@example.com"],
    "monitoring_alert_email_from": "alerts@example.com",
    "monitoring_smtp_url": "smtp+tls://alerts%40example.com:s3cret@smtp.example.com:587",
    "monitoring_alert_webhook_url": "https://hooks.example.com/alerts",
    "monitoring_probe_ca_file": "/usr/local/share/ca-certificates/site.crt",
    "postgresql_settings": {"work_mem": "8MB"},
    "postgresql_client_addresses": ["10.0.0.0/8"],
    "postgresql_backup_hook": "/usr/local/bin/ship-dump",
    "nginx_acme_peers": ["10.0.0.2"],
    "nginx_balancers": ["10.0.0.3"],
    "haproxy_backends": [{"name": "web1", "address": "10.0.0.11"}],
    "haproxy_acme_peers": ["10.0.0.4"],
    "haproxy_acme_ca_bundle": "/usr/local/share/ca.pem",
    "haproxy_tls_pem_file": "/etc/ssl/private/site.pem",
    "keepalived_unicast_peers": ["10.0.0.6"],
}


def _yaml(path: Path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def _trusted(value: object) -> object:
    """Values as Ansible reads them from a role's defaults: strings are templates."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: _trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_trusted(item) for item in value]
    return value


def _task_variables(tasks: list) -> dict:
    """What the role's tasks compute on the way (set_fact, a task's vars), as written."""
    found: dict = {}
    for task in tasks or []:
        for key in ("block", "rescue", "always"):
            found.update(_task_variables(task.get(key)))
        found.update(task.get("vars") or {})
        facts = task.get("ansible.builtin.set_fact") or {}
        found.update({key: value for key, value in facts.items() if key != "cacheable"})
    return found


def _releases(role: str) -> list[str]:
    """The Debian releases whose own vars the role has (vars/Debian_NN.yml); 12 when none."""
    return sorted(path.stem.removeprefix("Debian_") for path in (ROLES / role / "vars").glob("Debian_*.yml")) or ["12"]


@functools.cache
def _variables(role: str, release: str = "12") -> dict:
    found: dict = {}
    for name in ["common", role]:
        found.update(_yaml(ROLES / name / "defaults" / "main.yml"))
        found.update(_yaml(ROLES / name / "vars" / "main.yml"))
        found.update(_yaml(ROLES / name / "vars" / f"Debian_{release}.yml"))
        for path in sorted((ROLES / name / "tasks").glob("*.yml")):
            found.update(_task_variables(yaml.safe_load(path.read_text())))
    return _trusted(found)


def _render(role: str, template: Path, overrides: dict, release: str = "12") -> str:
    # The role's templates directory is where {% include %} looks, as for the template action.
    loader = DataLoader()
    loader.set_basedir(str(template.parent))
    templar = Templar(loader=loader, variables={**_variables(role, release), **CONTEXT, **overrides,
                                                "ansible_search_path": [str(template.parent)]})
    # As the template action renders a file (its defaults: trim_blocks, no lstrip).
    return templar.template(trust_as_template(template.read_text()), escape_backslashes=False,
                            overrides={"trim_blocks": True, "lstrip_blocks": False})


def _templates(role: str) -> list[Path]:
    return sorted((ROLES / role / "templates").glob("*.j2"))


def _hostile(value: object, payload: str) -> list[tuple[str, object]]:
    """Each variant of a value with the payload in one of its strings: (where, value)."""
    if isinstance(value, str):
        return [("", value + payload)]
    if isinstance(value, list):
        return [(f"[{i}]{where}", value[:i] + [bad] + value[i + 1:])
                for i, item in enumerate(value) for where, bad in _hostile(item, payload)]
    if isinstance(value, dict):
        variants = []
        for key, item in value.items():
            variants += [(f"[{key!r}]{where}", {**value, key: bad}) for where, bad in _hostile(item, payload)]
            if isinstance(key, str):
                variants.append((f" key {key!r}", {(key + payload if k == key else k): v for k, v in value.items()}))
        return variants
    return []


def _refused(role: str, name: str, value: object) -> bool:
    spec = _specs(role)
    result = ArgumentSpecValidator({name: spec[name]}).validate({name: value})
    if result.error_messages:
        return True
    if name in SECRETS:
        return any(c in value for c in "".join(map(chr, [*range(32), 127])))
    # The value as the play holds it (validate_argument_spec converts nothing in the
    # play's variables), checked by every kind the preflight names for the option.
    return any(validate.check(kind, value) for kind in _checks(role).get(name, []))


def _shell_environment(text: str) -> dict[str, str]:
    """The environment file as /bin/sh reads it (systemd reads the same quoting)."""
    with tempfile.NamedTemporaryFile("w", suffix=".env") as written:
        written.write(text)
        written.flush()
        out = subprocess.run(["sh", "-c", 'set -a; . "$0"; env -0', written.name], capture_output=True, check=True, env={})
    return dict(entry.split("=", 1) for entry in out.stdout.decode().split("\0") if "=" in entry)


def _python_assignments(text: str) -> dict[str, object]:
    return {node.targets[0].id: ast.literal_eval(node.value) for node in ast.parse(text).body if isinstance(node, ast.Assign)}


def _options(role: str) -> list[tuple[str, object]]:
    variables = _variables(role)
    found = []
    for name, spec in _specs(role).items():
        if _pinned(spec) or spec.get("type") in ("int", "float"):
            continue
        value = SAMPLES.get(name, variables.get(name))
        if isinstance(value, str) and "{{" in value:
            value = "/srv/shop" if value.startswith("{{ webstack_app_root") or "_root" in name else "shop"
            value = [value] if spec.get("type") == "list" else value
        if value in (None, "", [], {}):
            value = {"list": ["shop"], "dict": {"SHOP": "shop"}}.get(spec.get("type"), "shop")
        found.append((name, copy.deepcopy(value)))
    return found


def _harmless(template: Path, benign: str, hostile: str, payload: str, base: object) -> str | None:
    """Why a render with a hostile value is not harmless, or None."""
    if "\x00" in hostile:
        return "a NUL reached the file"
    before, after = benign.splitlines(), hostile.splitlines()
    if len(before) != len(after):
        return f"the file has {len(after)} lines instead of {len(before)}"
    unsafe = validate._UNSAFE_FOR.get(SYNTAX.get(template.name, "line"), "")
    for old, new in zip(before, after, strict=True):
        if old != new and any(c in new and c not in old and c in payload for c in unsafe):
            return f"a character its syntax cannot quote ({unsafe!r}) reached the line {new[:80]!r}"
    if template.name.startswith("env"):
        read, meant = _shell_environment(hostile), _shell_environment(benign)
        if len(read) != len(meant):
            return f"sh reads {len(read)} variables from it instead of {len(meant)}"
        # Whole, or percent-encoded inside DATABASE_URL.
        if not any(payload in text or quote(payload, safe="") in text for item in read.items() for text in item):
            return "sh does not read the value back whole"
    if template.name == "gunicorn.conf.py.j2":
        try:
            _python_assignments(hostile)
        except (SyntaxError, ValueError) as error:
            return f"Python cannot read the settings: {error}"
    return None


def _reaches(role: str, template: Path, overrides: dict, benign: str, release: str) -> bool:
    try:
        return _render(role, template, overrides, release) != benign
    except AnsibleError:
        return True  # a value the file cannot take at all: every payload is tried on it


# Once per Debian release whose own vars the role has (base's SSH algorithms).
CASES = [(role, release, name, value) for role in NAMES for release in _releases(role) for name, value in _options(role)]


@pytest.mark.parametrize(("role", "release", "name", "value"), CASES,
                         ids=[f"{case[0]}-debian{case[1]}-{case[2]}" for case in CASES])
def test_a_hostile_value_is_refused_or_harmless(role: str, release: str, name: str, value: object) -> None:
    benign = {t: _render(role, t, {name: value}, release) for t in _templates(role)}
    # The files the option reaches (a marker in each of its strings changes them).
    templates = [t for t in benign if any(_reaches(role, t, {name: marked}, benign[t], release)
                                          for pair in _hostile(value, "zz") for marked in pair[1:])]
    if not templates:
        pytest.skip(f"{name} reaches no template of {role} (task arguments only)")
    failures = []
    reached = 0
    for label, payload in PAYLOADS.items():
        for where, bad in _hostile(value, payload):
            if _refused(role, name, bad):
                continue
            for template in templates:
                hostile = _render(role, template, {name: bad}, release)
                if hostile == benign[template]:
                    continue
                reached += 1
                why = _harmless(template, benign[template], hostile, payload, value)
                if why:
                    failures.append(f"{name}{where} with a {label}: {template.name}: {why}")
    assert failures == [], "\n".join(failures)


def test_the_environment_file_reads_back_every_secret_byte_for_byte() -> None:
    """A password of every printable character systemd and sh alike get back unchanged."""
    secret = "".join(chr(c) for c in range(33, 127)) + " é{#{{%"
    template = ROLES / "release" / "templates" / "env.j2"
    text = _render("release", template, {"release_db_password": secret, "release_environment": {"EXTRA": secret},
                                         "__release_secret_file": "/srv/shop/shared/secret_key",
                                         "__release_shared": "/srv/shop/shared"})
    read = _shell_environment(text)
    assert database_url_parts(read["DATABASE_URL"])["password"] == secret
    assert read["EXTRA"] == secret


@pytest.mark.parametrize("host", ["10.0.0.7", "fd00::7", "localhost"])
def test_the_redis_urls_read_back_every_secret_byte_for_byte(host: str) -> None:
    """REDIS_URL and CELERY_BROKER_URL name the broker, CACHE_URL the cache, as redis-py and django-environ parse them."""
    secret = "".join(chr(c) for c in range(33, 127)) + " é{#{{%"
    template = ROLES / "release" / "templates" / "env.j2"
    text = _render("release", template, {"release_db_password": "secret", "release_redis_host": host,
                                         "release_redis_password": secret, "release_redis_user": "shop",
                                         "__release_secret_file": "/srv/shop/shared/secret_key",
                                         "__release_shared": "/srv/shop/shared"})
    read = _shell_environment(text)
    assert read["REDIS_URL"] == read["CELERY_BROKER_URL"]
    for name, port in (("REDIS_URL", 6379), ("CACHE_URL", 6380)):
        url = urlsplit(read[name])
        assert (url.scheme, url.hostname, url.port, url.path) == ("redis", host, port, "/0"), read[name]
        assert (unquote(url.username or ""), unquote(url.password or "")) == ("shop", secret)


def test_the_media_bucket_reads_back_byte_for_byte() -> None:
    """With s3 media, the bucket's settings in cookiecutter-django's names, its secret whole; the empty ones absent."""
    secret = "".join(chr(c) for c in range(33, 127)) + " é{#{{%"
    template = ROLES / "release" / "templates" / "env.j2"
    text = _render("release", template, {"release_db_password": "secret", "release_media_storage": "s3",
                                         "release_media_s3_bucket": "shop-media",
                                         "release_media_s3_endpoint_url": "http://objects.internal:9000",
                                         "release_media_s3_access_key_id": "shop", "release_media_s3_region": "",
                                         "release_media_s3_secret_access_key": secret,
                                         "__release_secret_file": "/srv/shop/shared/secret_key",
                                         "__release_shared": "/srv/shop/shared"})
    read = _shell_environment(text)
    assert {key: value for key, value in read.items() if key.startswith("DJANGO_AWS_")} == {
        "DJANGO_AWS_STORAGE_BUCKET_NAME": "shop-media", "DJANGO_AWS_S3_ENDPOINT_URL": "http://objects.internal:9000",
        "DJANGO_AWS_ACCESS_KEY_ID": "shop", "DJANGO_AWS_SECRET_ACCESS_KEY": secret}


def test_with_local_media_the_environment_names_no_bucket() -> None:
    template = ROLES / "release" / "templates" / "env.j2"
    text = _render("release", template, {"release_db_password": "secret", "release_media_storage": "local",
                                         "release_media_s3_bucket": "shop-media",
                                         "__release_secret_file": "/srv/shop/shared/secret_key",
                                         "__release_shared": "/srv/shop/shared"})
    assert not [key for key in _shell_environment(text) if key.startswith("DJANGO_AWS_")]


def test_without_redis_the_environment_names_none() -> None:
    template = ROLES / "release" / "templates" / "env.j2"
    text = _render("release", template, {"release_db_password": "secret", "release_redis_host": "",
                                         "__release_secret_file": "/srv/shop/shared/secret_key",
                                         "__release_shared": "/srv/shop/shared"})
    assert not {"REDIS_URL", "CELERY_BROKER_URL", "CACHE_URL"} & set(_shell_environment(text))


def test_mail_and_the_error_tracker_reach_the_environment_when_set() -> None:
    """EMAIL_URL (django-environ's name), the sender in cookiecutter-django's names, SENTRY_DSN; none when empty."""
    template = ROLES / "release" / "templates" / "env.j2"
    base = {"release_db_password": "secret", "__release_secret_file": "/srv/shop/shared/secret_key",
            "__release_shared": "/srv/shop/shared"}
    names = {"EMAIL_URL", "DJANGO_DEFAULT_FROM_EMAIL", "DJANGO_SERVER_EMAIL", "SENTRY_DSN"}
    assert not names & set(_shell_environment(_render("release", template, base)))
    url = "smtp+tls://shop%40example.com:p%24ss'w`rd\"$x@smtp.example.com:587"
    dsn = "https://0123abcd@o4500.ingest.sentry.io/4501"
    read = _shell_environment(_render("release", template, {**base, "release_email_url": url, "release_sentry_dsn": dsn,
                                                            "release_email_from": "shop@example.com"}))
    assert {name: read[name] for name in names} == {"EMAIL_URL": url, "DJANGO_DEFAULT_FROM_EMAIL": "shop@example.com",
                                                    "DJANGO_SERVER_EMAIL": "shop@example.com", "SENTRY_DSN": dsn}


def test_the_password_kept_while_it_changes_reads_back_byte_for_byte() -> None:
    """The file the release's commands read after the environment while the database password changes."""
    secret = "".join(chr(c) for c in range(33, 127)) + " é{#{{%"
    template = ROLES / "release" / "templates" / "env.db-serving.j2"
    text = _render("release", template, {"__release_db_serving_password": secret, "release_db_host": "10.0.0.5",
                                         "release_db_port": 5432})
    # sh sets PWD of its own.
    read = {key: value for key, value in _shell_environment(text).items() if key != "PWD"}
    assert list(read) == ["DATABASE_URL"] and env_file(text) == read
    assert database_url_parts(read["DATABASE_URL"])["password"] == secret


def test_gunicorn_settings_read_back_as_given() -> None:
    hostile = "a\"b'c\\d{{ x }}$`%é"
    template = ROLES / "gunicorn" / "templates" / "gunicorn.conf.py.j2"
    text = _render("gunicorn", template, {"gunicorn_settings": {"forwarded_allow_ips": hostile, "limit_request_line": 4094}})
    read = _python_assignments(text)
    assert read["forwarded_allow_ips"] == hostile
    assert read["limit_request_line"] == 4094


def test_every_sample_is_an_option() -> None:
    options = {name for role in NAMES for name in _specs(role)}
    assert sorted(set(SAMPLES) - options) == []


@pytest.mark.parametrize(("storage", "served"), [("local", True), ("s3", False)])
def test_nginx_serves_media_from_disk_only_where_uploads_are_there(storage: str, served: bool) -> None:
    template = ROLES / "nginx" / "templates" / "site.conf.j2"
    text = _render("nginx", template, {"webstack_media_storage": storage})
    assert ("location /media/ {" in text) is served
    assert ("autoindex off;" in text) is served
    assert "location /static/ {" in text


@pytest.mark.parametrize("behind", [False, True])
def test_maintenance_mode_answers_503_except_to_the_health_path_and_the_admins(behind: bool) -> None:
    template = ROLES / "nginx" / "templates" / "site.conf.j2"
    off = _render("nginx", template, {"nginx_balancers": ["10.0.0.5"] if behind else []})
    assert "503" not in off and "Maintenance mode" not in off
    text = _render("nginx", template, {"__nginx_maintenance_on": True, "nginx_maintenance_allowed": ["198.51.100.7/32"],
                                       "nginx_health_path": "/healthz", "nginx_maintenance_retry_after": 120,
                                       "nginx_balancers": ["10.0.0.5"] if behind else []})
    # The mark a site run reads to keep the mode.
    assert "\n# Maintenance mode (webstack.django.maintenance): on\n" in text
    admins = re.search(r"geo \$(\w+)_maintenance_admin \{([^}]*)\}", text)
    assert admins and admins.group(2).split() == ["default", "0;", "127.0.0.1", "1;", "::1", "1;", "198.51.100.7/32", "1;"]
    assert re.search(r'map \$\w+_maintenance_admin:\$uri \$\w+_maintenance \{\s*default 1;\s*"~\^1:" 0;\s*"0:/healthz" 0;\s*\}',
                     text), text
    app = text.rsplit("    location / {\n", 1)[1]
    assert app.startswith("        if ($django_maintenance) {\n            return 503;\n        }\n"), app[:200]
    page = re.search(r"location = /webstack-maintenance.html \{(.*?)\n    \}", text, re.S).group(1)
    assert "internal;" in page and "add_header Retry-After 120 always;" in page and "no-store" in page
    assert "error_page 503 /webstack-maintenance.html;" in text
