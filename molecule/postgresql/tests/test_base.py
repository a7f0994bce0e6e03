"""Behaviour of a host converged with webstack.django.base (the database host), seen from inside
and from a probe host outside its firewall."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import webstack_test
from passlib.hash import sha512_crypt
from testinfra.host import Host

testinfra_hosts = [webstack_test.container("webstack-db")]

SSH = "timeout 20 ssh"
SSH_OPTS = "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5"

# ssh-audit findings we accept, each with its reason (also in docs/security.md).
# Debian 12 ships ssh-audit 2.5.0 (2021), which predates both of these.
SSH_AUDIT_WAIVERS = {
    "sntrup761x25519-sha512@openssh.com": (
        "post-quantum hybrid KEX, OpenSSH's default since 9.0; ssh-audit 2.5 still calls it experimental"
    ),
    "kex-strict-s-v00@openssh.com": (
        "the Terrapin (CVE-2023-48795) countermeasure marker; ssh-audit 2.5 does not know it"
    ),
}


def sshd_effective(host: Host) -> dict[str, str]:
    out = host.check_output("sshd -T")
    return dict(line.split(" ", 1) for line in out.splitlines() if " " in line)


# --- SSH -----------------------------------------------------------------------


def test_sshd_effective_settings(base: Host) -> None:
    cfg = sshd_effective(base)
    assert cfg["permitrootlogin"] == "no"
    assert cfg["passwordauthentication"] == "no"
    assert cfg["kbdinteractiveauthentication"] == "no"
    assert cfg["permitemptypasswords"] == "no"
    assert cfg["maxauthtries"] == "3"
    assert cfg["allowgroups"] == "sshlogin"
    assert cfg["authenticationmethods"] == "publickey"
    assert cfg["x11forwarding"] == "no"
    assert cfg["allowtcpforwarding"] == "no"
    for weak in ("cbc", "sha1", "chacha20", "diffie-hellman-group14", "group-exchange", "hmac-md5", "ssh-rsa,"):
        for key in ("ciphers", "macs", "kexalgorithms", "hostkeyalgorithms"):
            assert weak not in cfg[key] + ",", f"{weak} offered in {key}: {cfg[key]}"
    assert cfg["kexalgorithms"].split(",")[0] in {"mlkem768x25519-sha256", "sntrup761x25519-sha512@openssh.com"}


def test_sshd_config_is_valid_and_service_runs(base: Host) -> None:
    assert base.run("sshd -t").rc == 0
    assert base.file("/etc/ssh/sshd_config").mode == 0o600
    ssh = base.service("ssh")
    assert ssh.is_running
    assert ssh.is_enabled


def test_admin_logs_in_with_key_and_has_sudo(probe: Host) -> None:
    out = probe.check_output(f"{SSH} {SSH_OPTS} deploy@webstack-db 'id -nG; sudo -n true && echo sudo-ok'")
    assert "sshlogin" in out.split()
    assert "sudo-ok" in out


def test_password_sudo_admin_needs_its_password(probe: Host, base: Host) -> None:
    result = probe.run(f"{SSH} {SSH_OPTS} operator@webstack-db 'sudo -n true'")
    assert result.rc != 0
    assert "password is required" in result.stderr
    # The hash on the host is the one passlib made from the vaulted password.
    shadow_hash = base.check_output("getent shadow operator").split(":")[1]
    assert shadow_hash.startswith("$6$")
    assert sha512_crypt.verify("correct horse battery staple", shadow_hash)
    assert not sha512_crypt.verify("wrong password", shadow_hash)
    assert "correct horse" not in base.check_output("cat /etc/shadow")


def test_root_login_refused_even_with_an_authorized_key(probe: Host, base: Host) -> None:
    # prepare.yml put the probe's key into /root/.ssh/authorized_keys.
    assert "probe" in base.check_output("cat /root/.ssh/authorized_keys")
    result = probe.run(f"{SSH} {SSH_OPTS} root@webstack-db true")
    assert result.rc == 255
    assert "Permission denied" in result.stderr


def test_password_login_is_not_offered(probe: Host) -> None:
    result = probe.run(
        f"{SSH} {SSH_OPTS} -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive "
        "operator@webstack-db true"
    )
    assert result.rc == 255
    assert re.search(r"Permission denied \(publickey\)", result.stderr), result.stderr


def test_absent_admin_is_gone_and_sudoers_is_valid(base: Host) -> None:
    assert not base.user("former").exists
    sudoers = base.file("/etc/sudoers.d/webstack-admins")
    assert sudoers.mode == 0o440
    assert "deploy ALL=(ALL:ALL) NOPASSWD: ALL" in sudoers.content_string
    assert "operator ALL=(ALL:ALL) ALL" in sudoers.content_string
    assert base.run("visudo -c").rc == 0


def test_ssh_audit_finds_no_failure(probe: Host) -> None:
    out = probe.run("ssh-audit -n webstack-db").stdout
    findings = re.findall(r"^\((kex|key|enc|mac|gen)\) (\S+)\s+-- \[(fail|warn)\] (.*)$", out, re.M)
    assert "(gen) banner: SSH-2.0-OpenSSH" in out, out
    print(f"ssh-audit findings: {findings or 'none'}")
    failures = [f for f in findings if f[2] == "fail"]
    assert not failures, failures
    unwaived = [f for f in findings if f[1] not in SSH_AUDIT_WAIVERS]
    assert not unwaived, f"ssh-audit warnings without a written waiver: {unwaived}"


def test_account_defaults_banner_and_modules(base: Host) -> None:
    login_defs = base.file("/etc/login.defs").content_string
    assert re.search(r"^UMASK\s+027$", login_defs, re.M)
    assert re.search(r"^SHA_CRYPT_MIN_ROUNDS\s+65536$", login_defs, re.M)
    assert base.file("/etc/issue.net").content_string.startswith("Authorised access only.")
    assert re.search(r"^HOME_MODE\s+0750$", login_defs, re.M)
    assert all(base.file(f"/home/{name}").mode == 0o750 for name in ("deploy", "operator"))
    # pam_limits applies limits.d to sessions: no core dumps, not even by raising the soft limit.
    assert base.check_output("runuser -u nobody -- sh -c 'ulimit -Hc'") == "0"
    # cron's tables: what Debian installed, root's only.
    tables = base.check_output("stat -c '%n %a %U' /etc/crontab /etc/cron.* 2>/dev/null || true").splitlines()
    assert {"/etc/cron.d 700 root", "/etc/cron.daily 700 root"} <= set(tables), tables
    assert all(line.split()[1] in ("600", "700") for line in tables), tables
    # modprobe resolves the module to our refusal instead of loading it.
    assert "install /bin/false" in base.check_output("modprobe --dry-run --show-depends dccp")


# --- Firewall ------------------------------------------------------------------


def test_firewall_drops_by_default(base: Host) -> None:
    assert base.service("nftables").is_enabled
    chain = base.check_output("nft list chain inet webstack_filter input")
    assert "policy drop;" in chain
    assert "ct state established,related accept" in chain
    assert re.search(r'update @ssh_meter_v4 \{ ip saddr limit rate over 60/minute burst 30 packets \}', chain)


def test_firewall_leaves_other_tables_alone(base: Host) -> None:
    base.check_output("systemctl reload nftables")
    tables = base.check_output("nft list tables")
    assert "table ip foreign_owner" in tables
    assert "table inet webstack_filter" in tables
    conf = base.file("/etc/nftables.conf").content_string
    assert not re.search(r"^\s*flush\b", conf, re.M), conf


def test_port_scan_from_probe_sees_only_allowed_ports(probe: Host) -> None:
    xml = probe.check_output(
        "nmap -Pn -n -p 1-65535 -T4 --max-retries 1 --min-rate 5000 --host-timeout 180s -oX - webstack-db"
    )
    root = ET.fromstring(xml)
    states = {int(p.get("portid")): p.find("state").get("state") for p in root.iter("port")}
    open_ports = sorted(port for port, state in states.items() if state == "open")
    print(f"nmap from the probe: open ports {open_ports}")
    # 22 for everyone; 8080 only for the probe; 8081 listens but is limited to 192.0.2.10.
    assert open_ports == [22, 8080]
    extraports = root.find(".//extraports")
    assert extraports is None or extraports.get("state") == "filtered"


def test_allowed_source_only(base: Host, probe: Host) -> None:
    # Both listeners answer on the host itself; only the firewall tells them apart.
    assert base.run("python3 -c 'import urllib.request as u; u.urlopen(\"http://127.0.0.1:8081/\", timeout=3)'").rc == 0
    assert probe.run("timeout 5 bash -c '</dev/tcp/webstack-db/8080'").rc == 0
    assert probe.run("timeout 5 bash -c '</dev/tcp/webstack-db/8081'").rc != 0


# --- Sysctl --------------------------------------------------------------------


def test_namespaced_sysctls_applied(base: Host) -> None:
    assert base.check_output("sysctl -n net.ipv4.conf.all.rp_filter") == "1"
    assert base.check_output("sysctl -n net.ipv4.conf.all.accept_redirects") == "0"
    assert base.check_output("sysctl -n net.ipv4.tcp_syncookies") == "1"


def test_kernel_wide_sysctls_skipped_and_reported(base: Host, ephemeral_dir: Path) -> None:
    content = base.file("/etc/sysctl.d/90-webstack-hardening.conf").content_string
    settings = [line for line in content.splitlines() if line and not line.startswith("#")]
    assert all(line.startswith(("net.ipv4.", "net.ipv6.")) for line in settings), settings
    assert "# Skipped in a docker container" in content
    assert "# kernel.kptr_restrict" in content
    # The machine running the containers kept its own kernel-wide values.
    before = dict(
        line.split("=", 1) for line in (ephemeral_dir / "host-sysctl-before.txt").read_text().split()
    )
    for key, value in before.items():
        assert Path("/proc/sys", *key.split(".")).read_text().strip() == value


# --- Upgrades, fail2ban, time, swap --------------------------------------------


def test_unattended_security_upgrades(base: Host) -> None:
    dump = base.check_output("apt-config dump")
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    origins = re.findall(r'Unattended-Upgrade::Origins-Pattern:: "(.*)";', dump)
    assert origins and all("Debian-Security" in o for o in origins), origins
    assert base.service("apt-daily-upgrade.timer").is_enabled
    assert base.run("unattended-upgrade --dry-run").rc == 0


def test_time_zone_and_timesyncd(base: Host) -> None:
    assert base.file("/etc/localtime").linked_to.endswith("Europe/Paris")
    assert base.service("systemd-timesyncd").is_enabled


def test_the_journal_is_on_disk_within_its_cap(base: Host) -> None:
    """What was logged before journald restarts (as at a reboot) is still there, read from /var/log/journal;
    journald reports the cap it applies."""
    assert base.run("ls /var/log/journal/*/system.journal").rc == 0
    base.check_output("logger -t webstack-journal-test written-before-the-restart")
    base.check_output("journalctl --sync && systemctl restart systemd-journald")
    kept = base.check_output("journalctl --no-pager -o cat -t webstack-journal-test --file '/var/log/journal/*/*.journal'")
    assert "written-before-the-restart" in kept
    config = base.check_output("systemd-analyze cat-config systemd/journald.conf")
    assert "SystemMaxUse=64M" in config and "MaxRetentionSec=30day" in config
    reported = base.check_output("journalctl -b --no-pager -o cat | grep -E '^System Journal .* max' | tail -n 1")
    # systemd 252 says "max 64.0M", 257 "max 64M".
    assert re.search(r"\bmax 64(\.0)?M,", reported), reported


def test_swap_file(base: Host) -> None:
    swap = base.file("/swapfile")
    assert swap.mode == 0o600
    assert swap.size == 16 * 1024 * 1024
    assert "swap" in base.check_output("blkid -p -o value -s TYPE /swapfile || file /swapfile")
    assert re.search(r"^/swapfile\s+none\s+swap\s+sw", base.file("/etc/fstab").content_string, re.M)


def test_logs_turn_over_and_recommends_stay_off(base: Host) -> None:
    """logrotate and netbase are there (a minimal image lacks them), logrotate's configuration (fail2ban's and
    apt's included) parses, and the packages fail2ban only recommends were left out."""
    assert base.package("logrotate").is_installed
    # netbase names the protocols the firewall's rules name.
    assert base.run("getent protocols ipv6-icmp").rc == 0
    assert base.file("/etc/logrotate.d/fail2ban").exists
    debug = base.run("logrotate --debug /etc/logrotate.conf")
    assert debug.rc == 0 and "error" not in debug.stderr.lower(), debug.stderr
    for recommended in ("whois", "python3-pyinotify"):
        assert not base.package(recommended).is_installed, recommended


def test_fail2ban_jail_active_on_nftables(base: Host) -> None:
    assert base.service("fail2ban").is_running
    status = base.check_output("fail2ban-client status sshd")
    assert "Journal matches" in status
    assert base.check_output("fail2ban-client get sshd actions").split()[-1] == "nftables"


# Kept last in the file: it bans the probe for a moment (and lifts the ban).
def test_fail2ban_bans_a_guessing_client(base: Host, probe: Host, probe_ip: str) -> None:
    def banned() -> bool:
        return probe_ip in base.check_output("fail2ban-client get sshd banned")

    try:
        # maxretry is 3 in converge.yml: guess logins until the ban lands (bounded).
        deadline = time.monotonic() + 60
        attempt = 0
        while not banned() and time.monotonic() < deadline:
            probe.run(f"timeout 5 ssh {SSH_OPTS} -i /dev/null nobody-{attempt}@webstack-db true")
            attempt += 1
        assert probe_ip in base.check_output("fail2ban-client get sshd banned")
        assert probe_ip in base.check_output("nft list table inet f2b-table")
        assert probe.run("timeout 5 bash -c '</dev/tcp/webstack-db/22'").rc != 0
    finally:
        base.run(f"fail2ban-client set sshd unbanip {probe_ip}")
