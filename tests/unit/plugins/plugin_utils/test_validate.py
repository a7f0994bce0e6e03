# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The validators: good values pass, hostile ones are refused with a reason."""

from __future__ import annotations

import base64
import struct

import pytest
from ansible_collections.webstack.django.plugins.plugin_utils import validate


def _blob(*fields: bytes) -> str:
    return base64.b64encode(b"".join(struct.pack(">I", len(field)) + field for field in fields)).decode()


ED25519 = "ssh-ed25519 " + _blob(b"ssh-ed25519", bytes(range(32))) + " admin@example"
RSA = "ssh-rsa " + _blob(b"ssh-rsa", b"\x01\x00\x01", b"\x00" + bytes(256)) + " ops"
ECDSA = "ecdsa-sha2-nistp256 " + _blob(b"ecdsa-sha2-nistp256", b"nistp256", b"\x04" + bytes(64))

# What an adversarial user puts in any free-text option.
HOSTILE_TEXT = ["a\nb", "a\rb", "a\x00b", "tab\there", "x" * (validate.MAX_TEXT + 1), True, False, None, 5, ["a"], {"a": 1}]

GOOD: dict[str, list[object]] = {
    "ip_address": ["192.0.2.10", "2001:db8::1", "::1", "127.0.0.1"],
    "ip_network": ["192.0.2.10", "10.0.0.0/24", "2001:db8::/64", "0.0.0.0/0"],
    "hostname": ["web1", "shop.example.com", "xn--bcher-kva.example", "bücher.example", "a-b.c-d.example"],
    "domain": ["shop.example.com", "example.org", "bücher.example"],
    "allowed_host": [".example.com", "shop.example.com"],
    "origin": ["https://shop.example.com", "https://*.example.com", "http://shop.example.com:8080", "https://bücher.example"],
    "login_name": ["admin", "_svc", "deploy-bot", "a" * 32, "shop_1"],
    "sql_identifier": ["shop", "_x", "shop_db_2", "a" * 63],
    "email": ["ops@example.com", "first.last+tag@mail.example.org"],
    "port": [1, 22, 65535, "5432"],
    "timezone": ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5"],
    "calendar": ["daily", "*-*-* 03:15:00", "Mon..Fri 09:00", "hourly", "*:0/15"],
    "debian_package": ["htop", "libpq-dev", "g++", "python3.11", "libc6.1-1"],
    "absolute_path": ["/swapfile", "/var/backups/postgresql", "/srv/shop/shared", "/"],
    "relative_path": ["manage.py", "src/manage.py", "requirements/prod.txt"],
    "url_prefix": ["/static/", "/media/", "/assets/v2/"],
    "url_path": ["/healthz", "/", "/api/health/"],
    "env_name": ["DJANGO_DEBUG", "_X", "a1"],
    "python_module": ["mysite.settings", "config.settings.production"],
    "wsgi_app": ["mysite.wsgi:application", "config.asgi:application", "app:create_app()", "mysite.wsgi"],
    "unit_name": ["gunicorn-shop", "postgresql@15-main", "getty@tty1"],
    "file_mode": ["0660", "660", "0700"],
    "size": ["25m", "1G", 1024, "100k"],
    "fail2ban_time": ["10m", "1h", "1d 12h", "3600", 600, -1, "1w"],
    "sysctl_key": ["net.ipv4.ip_forward", "vm.swappiness", "net.ipv4.conf.all.rp_filter"],
    "sysctl_value": [0, 1, "4096 87380 6291456"],
    "rate": ["10/minute", "1/second", "100/day"],
    "region": ["eu-west-1", "fr-par", "us-east-1", "garage"],
    "s3_bucket": ["media", "shop-media", "media.example.com", "a1b", "x" * 63],
    "restic_repository": ["sftp:u123@u123.your-storagebox.de:/home/shop", "sftp:backup.internal:/srv/restic/shop",
                          "sftp://restic@10.0.0.9:2222//srv/restic", "s3:https://s3.eu-central-1.amazonaws.com/shop-backups",
                          "s3:https://objects.example.com:9000/backups/shop", "rest:https://backup.example.com:8000/shop/",
                          "rest:http://user:p%40ss@10.0.0.9:8000/"],
    "passphrase": ["correct horse battery staple", "12characters", "p@ss w0rd; with 'quotes' and $signs"],
    "smtp_url": ["smtp://localhost", "smtp+tls://shop%40example.com:p%40ss%2Fw%3Frd%23@smtp.example.com:587",
                 "smtp+ssl://u:p@smtp.example.com:465", "submission://u:p@mail.example.com", "smtps://10.0.0.5",
                 "smtp://[2001:db8::25]:2525", "smtp+tls://apikey:SG.a-b_c.d@smtp.sendgrid.net:587?timeout=10"],
    "dsn": ["https://0123abcd@o4500.ingest.sentry.io/4501", "https://k@glitchtip.example.com/3",
            "http://key:secret@sentry.internal:9000/sub/path/12"],
    "url": ["https://s3.example.com", "https://s3.fr-par.scw.cloud", "http://webstack-cluster-acme:5000",
            "https://objects.example.com:9000/tenant", "http://10.0.0.5:9000", "http://[2001:db8::1]:9000"],
    "ssh_public_key": [ED25519, RSA, ECDSA, ED25519.rsplit(" ", 1)[0]],
    "text": ["plain", "Ünïcødé ✓", "a;b$c`d'e\"f{{ g }}"],
    "text_apt": ["ops@example.com", "origin=Debian,codename=${distro_codename}"],
    "text_nft": ["postgresql from the web hosts"],
    "text_nginx": ["default-src 'self'; img-src 'self' data:"],
    "text_sshd": ["sshlogin"],
    "text_haproxy": ["/healthz", "/-/health/"],
    "duration": ["1s", "500ms", "2m", "60"],
    "prometheus_duration": ["30s", "5m", "1h30m", "2w", "0s", "1500ms"],
    "interface_name": ["eth0", "ens3", "enp0s31f6", "eth0.100"],
    "private_address": ["127.0.0.1", "10.1.2.3", "192.168.0.9", "172.16.0.1", "::1", "fd00::1"],
    "lb_backend": [{"name": "web1", "address": "10.0.0.11"}, {"name": "webstack-cluster-web2-trixie", "address": "fd00::2"}],
    "admin_user": [{"name": "admin", "ssh_keys": [ED25519]},
                   {"name": "ops", "password_hash": "$6$salt$hash", "shell": "/bin/zsh"}],
    "clock_time": ["03:30", "00:00", "23:59"],
    "count": [0, 5, "10"],
    "data_path": ["/swapfile", "/srv/shop", "/var/backups/postgresql", "/opt/webstack", "/data/media"],
    "firewall_rule": [{"port": 443}, {"port": 5432, "proto": "tcp", "sources": ["10.0.0.0/24"], "comment": "postgres"},
                      {"proto": "vrrp", "sources": ["10.0.0.2"], "comment": "vrrp from the other balancers"}],
    "host": ["ntp.example.com", "192.0.2.1", "2001:db8::1", "pool"],
    "kernel_module": ["dccp", "usb-storage", "firewire_core"],
    "multiline_text": ["Authorised access only.\nActivity is logged.\n", "one line"],
    "percent": [0, 10, 100],
    "positive": [1, 10, "3"],
    "process": [{"command": "celery -A shop worker"},
                {"command": "rq worker $QUEUE", "count": 2, "group": "workers", "one_host": False,
                 "stop_signal": "SIGINT", "stop_timeout": 600}],
    "process_name": ["worker", "celery-beat", "w2"],
    "group_name": ["webservers", "workers", "eu_west_1"],
    "timer": [{"command": "clearsessions", "on_calendar": "daily"},
              {"command": ["send_report", "--to", "ops@example.com"], "on_calendar": "Mon *-*-* 07:00:00",
               "group": "webservers", "timeout": 600}],
    "ssh_algorithm": ["curve25519-sha256", "aes256-gcm@openssh.com", "mlkem768x25519-sha256"],
    "version": ["0.13.8", "1.0", "25.1.0.1"],
}

BAD: dict[str, list[object]] = {
    "ip_address": ["999.1.1.1", "10.0.0.1/32", "01.2.3.4", "", "localhost", "1.2.3.4\n", True],
    "ip_network": ["999.1.1.1/99", "10.0.0.300/24", "10.0.0.5/24", "10.0.0.0/33", "2001:db8::/129", "any", ""],
    "hostname": ["", "-web", "web-", "a..b", "a" * 64 + ".example", "shop.example.com.", "bad_name.example",
                 "web\n", "1.2.3.4", "shop example.com", "x." * 127 + "x", True],
    "domain": ["localhost", "web1", "shop.example.com\n"],
    "allowed_host": ["*", "..example.com", "shop.example.com:443"],
    "origin": ["shop.example.com", "ftp://shop.example.com", "https://shop.example.com/", "https://shop.example.com/path",
               "https://*", "https://shop.example.com:0", "https://shop.example.com:x", "https://shop.example.com\n", "", None],
    "login_name": ["admin\n", "Admin", "1abc", "a b", "a" * 33, "admin ", " admin", "ädmin", "", "ro;ot", True, None],
    "sql_identifier": ["shop; DROP TABLE users", "Shop", "1shop", "shop-db", "a" * 64, 'x"y', ""],
    "email": ['ops"@example.com', "ops@example", "ops", "@example.com", "ops@example.com\n", "a b@example.com",
              "ops@@example.com", ".ops@example.com", "ops@exa_mple.com"],
    "port": [0, 65536, -1, "22a", True, None, 22.5, "", [22]],
    "timezone": ["Mars Olympus", "../../etc/passwd", "Europe/Paris\n", "", "Europe/../UTC", True],
    "calendar": ["every day at 3\n", "", "  ", "daily; rm -rf /", "$(reboot)", "03:15'"],
    "debian_package": ["Htop", "a", "-x", "foo bar", "foo;bar", "foo\n", "", "pkg=1.0"],
    "absolute_path": ["relative", "/etc/../etc/passwd", "/srv/shop/", "//srv", "/srv/./x", "/srv/a b", "/srv/x\n", "",
                      "/srv/$HOME", "/" + "a" * 300],
    "relative_path": ["/abs", "../x", "a/../../b", "a b.py", "", "a//b"],
    "url_prefix": ["/static", "static/", "/", "/static/../", "/./", "/a b/", "/static/\n", "http://x/static/", ""],
    "url_path": ["healthz", "/health z", "/../etc", "/h?x=1", "/x\n", ""],
    "env_name": ["1X", "A-B", "A B", "", "A\n"],
    "python_module": ["my-site.settings", "mysite..settings", "mysite/settings", ""],
    "wsgi_app": ["mysite.wsgi:application;import os", "mysite wsgi", "mysite.wsgi:", "", "mysite.wsgi:app\n"],
    "unit_name": ["a b", "x/y", "", "x\n"],
    "file_mode": [432, 660, "0999", "rw-rw----", "", True, "06600"],
    "size": ["25 m", "lots", True, "", "-1"],
    "fail2ban_time": ["until tomorrow", "", "1h\n", 0, "soon", True],
    "sysctl_key": ["net", "net.ipv4.ip_forward\n", "net.ipv4.ip forward", "NET.x", ""],
    "sysctl_value": ["0\nkernel.sysrq = 1", True, None],
    "rate": ["lots", "0/minute", "10/fortnight", "10 / minute"],
    "region": ["EU-West-1", "-eu", "eu west", "eu_west_1", "x" * 64, ""],
    "s3_bucket": ["ab", "x" * 64, "Media", "media_files", "-media", "media-", "me..dia", "me.-dia", "192.168.5.4",
                  "media\n", ""],
    "restic_repository": ["/srv/backup", "local:/srv/backup", "sftp:host", "sftp:host:", "sftp:bad_host:/x",
                          "sftp:Bad User@h:/x", "sftp://h", "s3:s3.amazonaws.com/bucket", "s3:https://h",
                          "s3:https://key:secret@h/bucket", "s3:https://h/Bad_Bucket", "rest:h:8000", "b2:bucket:path",
                          "sftp:h:/a b", ""],
    "passphrase": ["", "short", "eleven char", "twelve chars\n", "a tab\there in it", 123456789012, None],
    "smtp_url": ["smtp.example.com", "http://smtp.example.com", "smtp://", "smtp://user:p@ss word@h",
                 "smtp://u:p#x@h", "smtp://u:p/x@h", "smtp://h:99999", "smtp://h/path", "smtp://bad_host",
                 "smtp://h\n", "smtp://[fe80::zz]:25", ""],
    "dsn": ["0123abcd@o4500.ingest.sentry.io/4501", "https://o4500.ingest.sentry.io/4501", "https://k@h",
            "https://k@h/project", "https://k@h/1?x=1", "https://k@bad_host/1", "https://k@h:0/1", "https://k y@h/1",
            "ftp://k@h/1", ""],
    "url": ["s3.example.com", "ftp://s3.example.com", "https://key:secret@s3.example.com", "https://s3.example.com/?x=1",
            "https://s3.example.com/#top", "https://s3 .example.com", "https://bad_host:9000", "https://h:99999",
            "https://[fe80::zz]:9000", "https://h/a b", "https://h/a\nb", "https://", ""],
    "ssh_public_key": [
        ED25519[:60],  # cut short
        "ssh-ed25519 AAAA",
        "ssh-ed25519 not-base64!",
        "ssh-rsa " + _blob(b"ssh-ed25519", bytes(32)),  # a type that does not match its data
        "ssh-ed25519 " + _blob(b"ssh-ed25519", bytes(31)),
        "ssh-rsa " + _blob(b"ssh-rsa", b"\x01\x00\x01", bytes(128)),  # 1024 bits
        "hunter2",
        "ssh-dss " + _blob(b"ssh-dss", bytes(20)),
        'from="10.0.0.1" ' + ED25519,
        ED25519 + "\nssh-ed25519 AAAA",
    ],
    "text": HOSTILE_TEXT,
    "text_apt": ['ops"@example.com', "a\\b", *HOSTILE_TEXT],
    "text_nft": ['say "hi"', *HOSTILE_TEXT],
    "text_nginx": ['a"b', "$request_uri", "a\\b", *HOSTILE_TEXT],
    "text_sshd": ["a#b", "'x'", *HOSTILE_TEXT],
    "text_haproxy": ["/a b", "/a#b", '/"x"', "/a\\b", *HOSTILE_TEXT],
    "duration": ["0", "1 s", "1sec", "-1s", "", True],
    "prometheus_duration": ["5", "30m1h", "1.5h", "5 m", "", 300],
    "interface_name": ["eth 0", "a" * 16, "", "eth0;x"],
    "private_address": ["8.8.8.8", "2001:4860::1", "10.0.0.0/8", "localhost", ""],
    "lb_backend": [{"name": "web 1", "address": "10.0.0.1"}, {"name": "web1", "address": "x"}, {"name": "web1"},
                   {"name": "web1", "address": "10.0.0.1", "port": 80}, "web1"],
    "admin_user": [
        {"name": "admin\n"},
        {"name": "root"},
        {"name": "admin", "ssh_keys": [ED25519[:50]]},
        {"name": "admin", "password": "x", "password_hash": "$6$a$b"},
        {"name": "admin", "password_hash": "hunter2"},
        {"name": "admin", "shell": "zsh"},
        "admin",
    ],
    "clock_time": ["3:30", "24:00", "03:60", "03:30\n", 330],
    "count": [-1, True, "x", None, 1.5],
    "data_path": ["/", "/etc/../etc/passwd", "/etc/passwd", "/var/lib/postgresql", "/var/lib/postgresql/15/main",
                  "/srv", "/usr/local/x", "/var/backups", "/home", "/dev/sda", "relative"],
    "firewall_rule": [{"port": 70000}, {"port": 22, "proto": "icmp"}, {"port": 22, "sources": ["10.0.0.300"]},
                      {"port": 22, "comment": 'a"b'}, {"port": 22, "comment": "x" * 129}, {"port": 22, "source": []}, 22,
                      {"proto": "vrrp", "port": 112}, {"proto": "tcp"}],
    "host": ["bad host", "-x", "", "a\nb"],
    "kernel_module": ["usb storage", "x;y", "", "a" * 65],
    "multiline_text": ["tab\there", "nul\x00", True, "x" * (validate.MAX_TEXT + 1)],
    "percent": [101, -1, "lots"],
    "positive": [0, -5, True, "0", None],
    "process": [{"command": "run\nreboot"}, {"command": ""}, {"command": "x", "replicas": 2},
                {"command": "x", "count": -1}, {"command": "x", "stop_signal": "SIGKILL"},
                {"command": "x", "one_host": "yes"}, {"command": "x", "group": "web servers"}, "celery worker"],
    "process_name": ["Worker", "web worker", "1worker", "w" * 32, "x;y"],
    "group_name": ["web servers", "1web", "web-servers", "w" * 65, "x\n"],
    "timer": [{"command": "clearsessions"}, {"command": "x", "on_calendar": "daily\nx"}, {"command": [], "on_calendar": "daily"},
              {"command": ["a", "b\x00"], "on_calendar": "daily"}, {"command": "x", "on_calendar": "daily", "user": "root"},
              "clearsessions"],
    "ssh_algorithm": ["aes256,gcm", "AES", "a b", "x\n"],
    "version": ["latest", "1", "0.13.8\n", "1.2.3; rm", 0.13],
}


def test_every_kind_is_tested() -> None:
    assert set(GOOD) == set(validate.KINDS) == set(BAD)


def test_every_kind_is_documented() -> None:
    from ansible_collections.webstack.django.plugins.test import valid

    documented = " ".join(valid.DOCUMENTATION.split())
    assert [kind for kind in validate.KINDS if f" {kind}" not in documented] == []


@pytest.mark.parametrize(("kind", "value"), [(kind, value) for kind, values in GOOD.items() for value in values])
def test_good_values_pass(kind: str, value: object) -> None:
    assert validate.check(kind, value) == []


@pytest.mark.parametrize(("kind", "value"), [(kind, value) for kind, values in BAD.items() for value in values])
def test_hostile_values_are_refused(kind: str, value: object) -> None:
    found = validate.check(kind, value)
    assert len(found) == 1
    assert found[0].startswith(repr(value)[:20])


def test_a_boolean_is_named_as_yaml_reads_it() -> None:
    (message,) = validate.check("text_sshd", False)
    assert "YAML reads unquoted yes/no" in message
    assert "quote it" in message


def test_an_unquoted_octal_mode_says_how_to_quote_it() -> None:
    (message,) = validate.check("file_mode", 0o660)
    assert "432" in message
    assert '"0660"' in message


def test_host_bits_name_the_network() -> None:
    (message,) = validate.check("ip_network", "10.0.0.5/24")
    assert "10.0.0.0/24" in message


def test_optional_kinds_accept_empty_values_only() -> None:
    assert validate.check("timezone?", "") == []
    assert validate.check("timezone?", None) == []
    assert validate.check("timezone?", "Mars/Olympus Mons") != []


def test_lists_name_the_bad_element() -> None:
    assert validate.check("list:ip_network", ["10.0.0.0/8", "10.0.0.300"]) == [
        "[1] '10.0.0.300' is not an IP address or a CIDR network"]
    assert validate.check("list:login_name", "admin") == ["'admin' is str, not a list"]


def test_mappings_name_the_bad_key_or_value() -> None:
    settings = {"net.ipv4.ip_forward": "0\nkernel.sysrq = 1", "bad key": 1}
    assert validate.check("values:sysctl_value", settings) == [
        "['net.ipv4.ip_forward'] '0\\nkernel.sysrq = 1' contains a control character (newline, tab, NUL, ...)"]
    assert validate.check("keys:sysctl_key", settings) == [
        "key 'bad key' is not a dotted sysctl name such as \"net.ipv4.tcp_syncookies\""]
    assert validate.check("values:text", ["x"]) == ["['x'] is a list, not a mapping"]


def test_problems_name_the_host_and_the_variable() -> None:
    found = validate.problems([
        ["base_timezone", "timezone?", "Europe/Paris"],
        ["base_ssh_allow_groups", "list:login_name", ["ops\nAllowTcpForwarding yes"]],
        ["base_unattended_upgrades_mail", "email?", 'ops"@example.com'],
    ], host="web1")
    assert found == [
        "web1: base_ssh_allow_groups: [0] 'ops\\nAllowTcpForwarding yes' is not a login name "
        "(lower-case letters, digits, _ and -, starting with a letter or _, at most 32)",
        "web1: base_unattended_upgrades_mail: 'ops\"@example.com' is not an e-mail address "
        "(name@example.com; letters, digits and . _ % + - before the @)",
    ]


def test_problems_take_a_mapping_too() -> None:
    assert validate.problems({"nginx_static_url": ["url_prefix", "/static"]}) == [
        "nginx_static_url: '/static' is not a URL prefix such as \"/static/\" (it must begin and end with /)"]


def test_long_values_are_cut_in_messages() -> None:
    (message,) = validate.check("login_name", "a" * 10000)
    assert len(message) < 250


@pytest.mark.parametrize("checks", [
    [["x", "no_such_kind", 1]],
    [["x", "list:no_such_kind", [1]]],
    [["x", "text"]],
    "not a list",
])
def test_mistakes_in_the_checks_themselves_raise(checks: object) -> None:
    with pytest.raises(ValueError):
        validate.problems(checks)


def test_disagreements_name_every_variable() -> None:
    contract = {
        "app_root": {"python_app_root": "/opt/shop", "gunicorn_app_root": "/srv/shop", "release_app_root": "/srv/shop"},
        "socket": {"gunicorn_socket_path": "/run/shop/gunicorn.sock", "nginx_socket_path": "/run/shop/gunicorn.sock"},
        "db_port": {"postgresql_port": 5432, "release_db_port": "5432"},
    }
    assert validate.disagreements(contract) == [
        "app_root: the roles disagree (gunicorn_app_root is '/srv/shop', python_app_root is '/opt/shop', "
        "release_app_root is '/srv/shop'); set webstack_app_root once instead"]


def test_disagreements_never_show_a_secret() -> None:
    contract = {"db_password": {"postgresql_db_password": "s3cret-one", "release_db_password": "s3cret-two"}}
    (message,) = validate.disagreements(contract, secret=["db_password"])
    assert "s3cret" not in message
    assert "postgresql_db_password and release_db_password differ" in message


def test_a_secret_url_is_never_shown() -> None:
    """The SMTP URL and the DSN hold passwords and keys: their messages never repeat them."""
    for kind, value in (("smtp_url", "smtp://user:hunter2@bad_host"), ("dsn", "https://hunter2@h/x"),
                        ("smtp_url", "ftp://user:hunter2@h")):
        why = validate.KINDS[kind](value)
        assert why and "hunter2" not in why, why


def test_a_secret_kind_never_shows_its_value() -> None:
    """secret:kind checks as kind does, and says "its value (not shown)" where the value would be."""
    assert validate.check("secret:passphrase", "hunter2") == ["its value (not shown) is shorter than 12 characters"]
    assert validate.check("secret:text", "hunter2\nmore") == [
        "its value (not shown) contains a control character (newline, tab, NUL, ...)"]
    assert validate.check("secret:passphrase?", "") == []
    assert validate.check("secret:passphrase", "a long enough one") == []
    found = validate.problems([["backup_password", "secret:passphrase", "hunter2"]], "db1")
    assert found == ["db1: backup_password: its value (not shown) is shorter than 12 characters"]
    with pytest.raises(ValueError, match="unknown kind"):
        validate.check("secret:nothing", "x")
