"""What the scenarios' testinfra modules share: ansible-playbook runs, the check that
bad input failed before any change, and a bounded load around a change.

The verifier puts this directory on PYTHONPATH (.config/molecule/config.yml).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testinfra.host import Host

SHARED = Path(__file__).resolve().parent
DISTRO = os.environ.get("WEBSTACK_DISTRO", "bookworm")
# Where webstack_http.py is copied on the host that sends the requests.
HTTP_HELPER = "/var/tmp/webstack_http.py"
# Every ansible-playbook output of the scenario, for the tests that look for secrets:
# a file in the scenario's ephemeral directory, not state in this module.
OUTPUT_LOG = "ansible-playbook-outputs.log"


# Cases split between the releases (docs/testing.md); WEBSTACK_CASES=all runs every case on each.
SPLIT = os.environ.get("WEBSTACK_CASES", "split") != "all"
RELEASE_NAMES = {"bookworm": "Debian 12", "trixie": "Debian 13"}


def split(cases: list) -> list:
    """Every other case: the even ones on Debian 12, the odd ones on Debian 13 (each of them on both with
    WEBSTACK_CASES=all)."""
    mine = 0 if DISTRO == "bookworm" else 1
    return [case for index, case in enumerate(cases) if not SPLIT or index % 2 == mine]


def only_on(distro: str):  # noqa: ANN201 - a pytest mark
    """Mark a test that runs on one release (on both with WEBSTACK_CASES=all)."""
    import pytest

    return pytest.mark.skipif(SPLIT and DISTRO != distro,
                              reason=f"runs on {RELEASE_NAMES[distro]} only (docs/testing.md)")


def container(name: str) -> str:
    """The container (and inventory) name of a scenario host: it carries the Debian release."""
    return f"{name}-{DISTRO}"


def host(name: str) -> Host:
    """The testinfra host of a scenario host, named as inside the test network."""
    import testinfra  # the verifier's; bench/ uses this module without it

    return testinfra.get_host(f"ansible://{container(name)}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def start_playbook(path: Path, *args: str, **extra_vars: object) -> subprocess.Popen[str]:
    """ansible-playbook against the scenario's inventory, extra vars as JSON, started (see finish())."""
    command = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(path), *args]
    if extra_vars:
        command += ["--extra-vars", json.dumps(extra_vars)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, ANSIBLE_NOCOLOR="1"))


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    """The run start_playbook() started, once it has ended; its output goes to the scenario's log."""
    try:
        stdout, stderr = process.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
    run = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    with (Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / OUTPUT_LOG).open("a") as log:
        log.write(run.stdout + run.stderr + "\n")
    return run


def playbook(path: Path, *args: str, **extra_vars: object) -> subprocess.CompletedProcess[str]:
    """ansible-playbook against the scenario's inventory, extra vars as JSON; never raises."""
    return finish(start_playbook(path, *args, **extra_vars))


def outputs() -> str:
    """Every ansible-playbook output of the scenario so far (see playbook())."""
    path = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / OUTPUT_LOG
    return path.read_text() if path.exists() else ""


def output(run: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr on one line (Ansible 2.19 prints task errors on stderr)."""
    return " ".join((run.stdout + run.stderr).split())


def changed(run: subprocess.CompletedProcess[str], host: str) -> int:
    """The changed= count in the recap line of one host."""
    match = re.search(rf"^{re.escape(host)}\s*:\s*ok=\d+\s+changed=(\d+)", plain(run.stdout), re.MULTILINE)
    assert match, f"no recap line for {host}: {run.stdout[-1500:]}"
    return int(match.group(1))


def plain(text: str) -> str:
    """Text without its colours (a run outside `make` may have them)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def changed_tasks(run: subprocess.CompletedProcess[str]) -> dict[str, list[str]]:
    """Each host's changed tasks and handlers, by name ("role : name"), in the order they ran (once per task)."""
    found: dict[str, list[str]] = {}
    task = ""
    for line in plain(run.stdout).splitlines():
        heading = re.match(r"^(?:TASK|RUNNING HANDLER) \[(.*)\] \*+\s*$", line)
        if heading:
            task = heading.group(1)
            continue
        result = re.match(r"^changed: \[([^\]\s]+)", line)
        if result and task not in found.setdefault(result.group(1), []):
            found[result.group(1)].append(task)
    return found


def refusal(run: subprocess.CompletedProcess[str]) -> str:
    """The message of the run's first failed task (with the argument spec's errors)."""
    for line in (run.stdout + run.stderr).splitlines():
        if line.startswith("fatal: [") and " => " in line:
            try:
                result = json.loads(line.split(" => ", 1)[1])
            except ValueError:
                return line
            return " ".join([str(result.get("msg", "")), *result.get("argument_errors", [])])
    return ""


def assert_refused(run: subprocess.CompletedProcess[str], host: str, expected: list[str]) -> None:
    """The run failed, its message holds every expected text, and nothing changed on host.
    Prints the message and the change count (the "refused" lines of the CI log)."""
    text = output(run)
    assert run.returncode != 0, text[-2000:]
    for part in expected:
        assert part in text, f"{part!r} missing from: {text[-2000:]}"
    count = changed(run, host)
    print(f"refused (changed={count}): {refusal(run) or text[-300:]}")
    assert count == 0, text[-2000:]


def copy_http_helper(name: str) -> None:
    subprocess.run(["docker", "cp", str(SHARED / "webstack_http.py"), f"{name}:{HTTP_HELPER}"], check=True)


# Where an ACME host keeps the root of the certificates pebble issues (acme_client).
PEBBLE_ROOT = "/var/tmp/pebble-root.pem"


def acme_client(name: str) -> Host:
    """A scenario's ACME host as the HTTPS client: it fetches pebble's root, trusts it and nothing else, and has
    the HTTP helper."""
    acme = host(name)
    acme.check_output(f"curl -sfk https://localhost:15000/roots/0 -o {PEBBLE_ROOT}")
    copy_http_helper(container(name))
    return acme


@contextmanager
def load(name: str, env: dict[str, str] | None = None, clients: int = 4) -> Iterator[dict]:
    """webstack_http.py load on container `name` until the block ends; yields its counts.

    The counts hold requests, statuses, non_2xx, errors, revisions (answers per
    revision), first and last (the revisions answering first and last) and switches
    (how often the answering revision changed).
    """
    stop = "/run/webstack-load-stop"
    subprocess.run(["docker", "exec", name, "rm", "-f", stop], check=True)
    options = [f"--env={key}={value}" for key, value in (env or {}).items()]
    proc = subprocess.Popen(["docker", "exec", *options, name, "python3", HTTP_HELPER, "load", stop, str(clients)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    started = proc.stderr.readline().strip()
    assert started == "started", started + proc.stderr.read()
    counts: dict = {}
    try:
        yield counts
    finally:
        subprocess.run(["docker", "exec", name, "touch", stop], check=True)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        counts.update(json.loads(out))


def assert_no_failures(counts: dict, least: int = 50) -> None:
    """No failed request, and enough requests that the load spanned the change."""
    assert counts["requests"] >= least, counts
    assert counts["non_2xx"] == 0, counts
    assert not counts["errors"], counts


# --- Releases of examples/app -----------------------------------------------------

APP = SHARED.parent.parent / "examples" / "app"

# The example app's last migration, which a new one follows.
LAST_MIGRATION = "0002_words_tally"

MIGRATION_PINNED = f"""from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("notes", "{LAST_MIGRATION}")]
    operations = [
        # A database default: the release before, which knows nothing of the
        # column, can still insert rows (a backward-compatible migration).
        migrations.AddField(model_name="note", name="pinned", field=models.BooleanField(db_default=False)),
    ]
"""


def app_variant(tmp_path: Path, name: str, edit: tuple[str, str, str] | None = None) -> Path:
    """A copy of examples/app, a new release: a changed stylesheet plus one edit (file, old text, new text)."""
    dest = tmp_path / name
    shutil.copytree(APP, dest, ignore=lambda folder, names: [
        n for n in names
        if n in ("__pycache__", "db.sqlite3") or n.endswith(".pyc") or (Path(folder) == APP and n in ("static", "media"))
    ])
    with (dest / "notes" / "static" / "notes" / "site.css").open("a") as css:
        css.write(f"/* {name} */\n")
    if edit:
        path = dest / edit[0]
        text = path.read_text()
        assert edit[1] in text, f"{edit[1]!r} not in {path}"
        path.write_text(text.replace(edit[1], edit[2]))
    return dest


def committed(project: Path) -> str:
    """The project made a git work tree of its own with everything committed; its commit."""
    env = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.test", "GIT_COMMITTER_NAME": "test",
           "GIT_COMMITTER_EMAIL": "test@example.test", "HOME": str(project), "PATH": os.environ["PATH"]}
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"]):
        subprocess.run(["git", "-C", str(project), *args], check=True, env=env, capture_output=True)
    return subprocess.run(["git", "-C", str(project), "rev-parse", "HEAD"], check=True, env=env, capture_output=True,
                          text=True).stdout.strip()


def app_with_migration(tmp_path: Path, name: str = "v2") -> Path:
    """examples/app with a new field and its (backward-compatible) migration."""
    field = "    created = models.DateTimeField(auto_now_add=True)\n"
    dest = app_variant(tmp_path, name, ("notes/models.py", field, field + "    pinned = models.BooleanField(db_default=False)\n"))
    (dest / "notes" / "migrations" / "0003_note_pinned.py").write_text(MIGRATION_PINNED)
    return dest
