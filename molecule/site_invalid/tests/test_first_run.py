"""A first run as the README gives it, over SSH as root, that can be run again.

After the bad-input cases (which changed nothing) the bare host gets its first run the
way a new server does: `ansible-playbook webstack.django.site -e ansible_user=root`,
over real SSH from this controller, with the host in `dbservers` (base, then
PostgreSQL). The run is interrupted right after base; it is run again with an admin
key this controller does not hold, and fails at the end with root login still on; then
again with the right key, and root login goes off only then. The next run, as the
admin, changes nothing.

The code is the same on both releases; it runs on Debian 12 (docs/testing.md).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import webstack_test
from testinfra.host import Host

NAME = webstack_test.container("webstack-invalid")
testinfra_hosts = [NAME]

pytestmark = webstack_test.only_on("bookworm")

SSH_OPTIONS = ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
               "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR"]


# How sshd -T names PermitRootLogin prohibit-password (its older name first).
KEY_ONLY = {"without-password", "prohibit-password"}


def keypair(directory: Path, name: str) -> Path:
    key = directory / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


def address() -> str:
    return subprocess.run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", NAME],
                          check=True, capture_output=True, text=True).stdout.split()[0]


def inventory(directory: Path, key: Path, admin_key: Path) -> Path:
    """The README's inventory for one database host, reached over SSH with this controller's key."""
    path = directory / f"inventory-{admin_key.name}.json"
    path.write_text(json.dumps({"all": {
        "vars": {
            "webstack_app_name": "shop",
            "webstack_domains": ["shop.example.test"],
            "webstack_wsgi_app": "webstack_example.wsgi:application",
            "webstack_db_password": "test-only-first-run-password",
            "webstack_acme_email": "ops@example.test",
            "base_admin_users": [{"name": "admin", "ssh_keys": [admin_key.with_suffix(".pub").read_text().strip()]}],
            "ansible_user": "admin",
            # As many inventories write it: the login check must still ask who logs in, not who sudo makes.
            "ansible_become": True,
            "ansible_ssh_private_key_file": str(key),
            "ansible_ssh_common_args": " ".join(SSH_OPTIONS[:-4]),
            "ansible_python_interpreter": "/usr/bin/python3",
        },
        "children": {"dbservers": {"hosts": {"first-run": {"ansible_host": address()}}}},
    }}))
    return path


def site(inv: Path, *args: str) -> list[str]:
    return ["ansible-playbook", "-i", str(inv), "webstack.django.site", *args]


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    print(result.stdout[-1200:])
    return result


def ssh(key: Path, user: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ssh", *SSH_OPTIONS, "-i", str(key), "-l", user, address(), command],
                          capture_output=True, text=True, timeout=60, check=False)


def interrupted_after_base(command: list[str]) -> str:
    """Run the command and stop it with ^C as soon as the play after base starts."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"))
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("PLAY [Set up the database]"):
            proc.send_signal(signal.SIGINT)
            break
    rest, _ = proc.communicate(timeout=300)
    output = "".join(seen) + rest
    assert any(line.startswith("PLAY [Set up the database]") for line in seen), output[-2000:]
    assert proc.returncode != 0, output[-2000:]
    return output


def sshd(host: Host) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in host.check_output("sshd -T").splitlines() if " " in line)


def test_a_first_run_can_be_run_again_and_turns_root_login_off_last(host: Host, tmp_path: Path) -> None:
    key = keypair(tmp_path, "controller")
    stranger = keypair(tmp_path, "not-this-controller")
    host.run("install -d -m 0700 /root/.ssh")
    host.check_output(f"printf '%s\\n' {json.dumps(key.with_suffix('.pub').read_text().strip())} >> /root/.ssh/authorized_keys")
    host.check_output("systemctl start ssh")
    assert ssh(key, "root", "true").returncode == 0, "the provider's way in: root with the controller's key"

    # 1. The first run, cut short after base (with an admin key this controller lacks).
    wrong = inventory(tmp_path, key, stranger)
    output = interrupted_after_base(site(wrong, "-e", "ansible_user=root"))
    cfg = sshd(host)
    assert cfg["permitrootlogin"] in KEY_ONLY, cfg["permitrootlogin"]
    assert "root" in cfg["allowgroups"].split()
    assert host.user("admin").exists, output[-2000:]
    assert ssh(key, "root", "true").returncode == 0, "root must still log in after an interrupted first run"

    # 2. The same command again runs to its end, but the admin cannot log in: refused, root stays.
    failed = run(site(wrong, "-e", "ansible_user=root"))
    text = webstack_test.output(failed)
    assert failed.returncode != 0, text[-2000:]
    for part in ["base_ssh_permit_root_login", "'admin' could not log in from this controller", "Root login is left on"]:
        assert part in text, f"{part!r} missing from: {text[-2000:]}"
    print(f"refused: {webstack_test.refusal(failed)}")
    assert sshd(host)["permitrootlogin"] in KEY_ONLY
    assert ssh(key, "root", "true").returncode == 0

    # 3. With the admin's key right, the same command turns root login off at its end.
    right = inventory(tmp_path, key, key)
    done = run(site(right, "-e", "ansible_user=root"))
    assert done.returncode == 0, webstack_test.output(done)[-3000:]
    assert "Root login is off on first-run: 'admin' logged in" in webstack_test.output(done), done.stdout[-3000:]
    cfg = sshd(host)
    assert cfg["permitrootlogin"] == "no"
    assert cfg["allowgroups"].split() == ["sshlogin"]
    refused = ssh(key, "root", "true")
    assert refused.returncode != 0 and "Permission denied" in refused.stderr, refused.stderr
    assert ssh(key, "admin", "sudo -n id -u").stdout.strip() == "0"

    # 4. Later runs connect as the admin user, and change nothing.
    again = run(site(right))
    assert again.returncode == 0, webstack_test.output(again)[-3000:]
    assert webstack_test.changed(again, "first-run") == 0, again.stdout[-3000:]
