"""Audit and integrity on a host converged with webstack.django.base (the database host): auditd's rules, process
accounting, sysstat, needrestart, debsums and AIDE's baseline with its daily check."""

from __future__ import annotations

import re
import time

import webstack_test
from testinfra.host import Host

testinfra_hosts = [webstack_test.container("webstack-db")]

WATCHED = {
    "/etc/passwd",
    "/etc/shadow",
    "/etc/group",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d",
    # The app's environment file (webstack_app_env_file; the scenario's app is `shop`).
    "/srv/shop/shared/env",
}


def unit(host: Host, name: str) -> dict[str, str]:
    out = host.check_output(f"systemctl show {name} -p ActiveState -p Result -p UnitFileState -p ConditionResult")
    return dict(line.split("=", 1) for line in out.splitlines())


def test_auditd_rules_watch_the_identity_files_sudoers_sshd_and_the_app_env(base: Host) -> None:
    rules = base.file("/etc/audit/rules.d/50-webstack.rules")
    assert (rules.user, rules.mode) == ("root", 0o640)
    lines = [line for line in rules.content_string.splitlines() if line and not line.startswith("#")]
    # Errors from a path this host lacks are skipped, not the rules after it.
    assert lines[0] == "-i"
    for line in lines[1:]:
        assert re.fullmatch(r"-w /\S+ -p wa -k webstack", line), line
    assert WATCHED <= {line.split()[1] for line in lines[1:]}


def test_auditd_is_enabled_and_skipped_in_a_container_not_failed(base: Host) -> None:
    # The kernel's audit is the host's: in a container the unit's condition keeps it stopped, without a failure
    # (the UnitFailed alert reads failed units). On a VM the same unit starts and loads the rules.
    assert base.run("systemctl start auditd.service").rc == 0
    state = unit(base, "auditd.service")
    assert state["UnitFileState"] == "enabled"
    assert state["ConditionResult"] == "no"
    assert state["ActiveState"] == "inactive"
    assert state["Result"] == "success"
    assert base.run("systemctl is-failed --quiet auditd.service").rc != 0


def test_process_accounting_records_each_command(base: Host) -> None:
    assert unit(base, "acct.service")["ActiveState"] == "active"
    # A program with a name of its own (pacct keeps 15 characters of it), run once: lastcomm finds it.
    name = f"wsacct{time.time_ns() % 10**8}"
    base.check_output(f"cp /bin/true /root/{name} && /root/{name}; rm -f /root/{name}")
    out = base.check_output(f"lastcomm --command {name}")
    assert re.search(rf"^{name}\s+(\S+\s+)?root\b", out, re.MULTILINE), out


def test_sysstat_collects_on_its_timer(base: Host) -> None:
    for timer in ("sysstat-collect.timer", "sysstat-summary.timer"):
        state = unit(base, timer)
        assert (state["UnitFileState"], state["ActiveState"]) == ("enabled", "active"), timer
    assert 'ENABLED="true"' in base.file("/etc/default/sysstat").content_string
    # The service the timer starts takes a sample; sar reads back the interval between two of them (right after
    # sysstat's start, there is one sample at most: sar shows the restart alone).
    base.check_output("systemctl start sysstat-collect.service && sleep 1 && systemctl start sysstat-collect.service")
    out = base.check_output("sar -u")
    assert re.search(r"^\S+(\s+\S+)?\s+all\s+\d", out, re.MULTILINE), out


def test_cron_runs_the_packages_daily_and_weekly_jobs(base: Host) -> None:
    assert base.service("cron").is_running
    assert base.service("cron").is_enabled
    assert base.file("/etc/cron.weekly/debsums").exists
    assert "CRON_CHECK=weekly" in base.file("/etc/default/debsums").content_string


def test_debsums_finds_every_packaged_file_as_shipped(base: Host) -> None:
    # The roles change settings files (conffiles), never a package's own files.
    run = base.run("debsums --silent")
    assert run.rc == 0, run.stdout + run.stderr


def test_needrestart_lists_and_restarts_nothing(base: Host) -> None:
    assert "$nrconf{restart} = 'l';" in base.file("/etc/needrestart/conf.d/50-webstack.conf").content_string
    # apt runs it after each install or upgrade.
    assert base.file("/etc/apt/apt.conf.d/99needrestart").exists
    # PostgreSQL's postmaster (the oldest postgres process) is the same process after needrestart has run.
    before = base.check_output("pgrep -o -x postgres")
    run = base.run("DEBIAN_FRONTEND=noninteractive needrestart")
    assert run.rc == 0, run.stdout + run.stderr
    assert base.check_output("pgrep -o -x postgres") == before
    assert base.run("needrestart -b").stdout.startswith("NEEDRESTART-VER:")


def test_aide_takes_a_baseline_after_the_converge_and_finds_a_new_program(base: Host) -> None:
    # The baseline is taken in the background once the run ends: wait for the last one.
    deadline = time.monotonic() + 600
    while unit(base, "webstack-aide-baseline.service")["ActiveState"] in ("activating", "deactivating"):
        assert time.monotonic() < deadline, "AIDE's baseline is still being taken after 10 minutes"
        time.sleep(5)
    state = unit(base, "webstack-aide-baseline.service")
    assert (state["ActiveState"], state["Result"]) == ("inactive", "success"), state
    db = base.file("/var/lib/aide/aide.db")
    assert db.exists
    assert db.mode & 0o077 == 0
    timer = unit(base, "dailyaidecheck.timer")
    assert (timer["UnitFileState"], timer["ActiveState"]) == ("enabled", "active")
    # A program that was not there at the baseline: the check names it as added, and its exit code says so (bit 1:
    # added files; its directory also counts as changed, bit 4).
    intruder = "/usr/local/sbin/webstack-intruder"
    base.check_output(f"cp /bin/true {intruder}")
    try:
        check = base.run("aide --config /etc/aide/aide.conf --check --limit '/usr/local/sbin'")
    finally:
        base.check_output(f"rm -f {intruder}")
    assert check.rc & 1, check.stdout + check.stderr
    assert re.search(rf"^f\+*: {intruder}$", check.stdout, re.MULTILINE), check.stdout
