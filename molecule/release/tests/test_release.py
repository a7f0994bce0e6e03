"""The release role end to end: examples/app behind gunicorn's socket, zero-downtime
deploys, reloads and rollbacks under load, broken releases switched back, git with a
deploy key, pruning, and the record of what was deployed.

Tests run in file order: each deploy builds on the state the one before left.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import HTTP_HELPER as HELPER
from webstack_test import assert_no_failures, assert_refused, changed

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
PROJECT = SCENARIO.parent.parent
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
NAME = webstack_test.container("webstack-release")
ROOT = "/srv/shop"
SOCKET = "/run/shop/gunicorn.sock"
DB_PASSWORD = 'Test-only p4ss with $pecial "chars"'
MANAGE = (
    "systemd-run --quiet --wait --pipe --collect --uid=shop --gid=shop "
    f"--working-directory={ROOT}/current --property=EnvironmentFile={ROOT}/shared/env "
    f"{ROOT}/current/venv/bin/python {ROOT}/current/manage.py"
)

testinfra_hosts = [NAME]


@pytest.fixture(scope="module")
def first_secret_key(app: Host) -> str:
    """The generated secret key as the first test that asks finds it; it must never change."""
    return app.file(f"{ROOT}/shared/secret_key").content_string.strip()


@pytest.fixture(scope="module")
def app(host: Host) -> Host:
    webstack_test.copy_http_helper(NAME)
    return host


def get(host: Host, path: str) -> dict:
    return json.loads(host.check_output(f"python3 {HELPER} get {path}"))


def version(host: Host) -> dict:
    answer = get(host, "/version")
    assert answer["status"] == 200, answer
    return json.loads(answer["body"])


def current(host: Host) -> str:
    return host.check_output(f"readlink -f {ROOT}/current")


def playbook(name: str, **extra_vars: object) -> subprocess.CompletedProcess[str]:
    return webstack_test.playbook(SCENARIO / name, **extra_vars)


def sql(host: Host, query: str) -> str:
    return host.check_output(f"runuser -u postgres -- psql -XAtq -d shop -c \"{query}\"")




def test_app_answers_through_the_socket(app: Host) -> None:
    answer = get(app, "/healthz")
    assert answer["status"] == 200, answer
    body = json.loads(answer["body"])
    assert body["status"] == "ok" and body["database"] == "ok", body
    assert body["revision"] == app.file(f"{current(app)}/REVISION").content_string.strip()


def test_unknown_host_is_refused(app: Host) -> None:
    answer = json.loads(app.check_output(f"WEBSTACK_HOST=evil.example python3 {HELPER} get /healthz"))
    assert answer["status"] == 400, answer


def test_deploy_checklist_is_clean(app: Host) -> None:
    run = app.run(f"{MANAGE} check --deploy --fail-level WARNING")
    assert run.rc == 0, run.stderr
    assert "System check identified no issues" in run.stdout + run.stderr


def test_socket_and_service(app: Host) -> None:
    sock = app.file(SOCKET)
    assert sock.is_socket and sock.user == "www-data" and sock.mode == 0o660
    assert app.service("gunicorn-shop.socket").is_running
    props = app.check_output("systemctl show gunicorn-shop.service -p Type -p User -p ActiveState -p NRestarts")
    assert "Type=notify" in props and "User=shop" in props and "ActiveState=active" in props, props
    # Workers: 3 from the scenario's gunicorn_workers, plus the master.
    assert app.check_output("pgrep -c -u shop -f 'venv/bin/gunicorn'").strip() == "4"


def test_service_is_sandboxed(app: Host) -> None:
    report = app.check_output("systemd-analyze security --no-pager gunicorn-shop.service")
    score = float(re.search(r"Overall exposure level for gunicorn-shop.service: ([0-9.]+)", report).group(1))
    print(f"systemd-analyze security gunicorn-shop.service: {score}")
    print("\n".join(line for line in report.splitlines() if line.startswith("✗")))
    assert score <= 2.0, report
    # The app cannot write its own code, only media.
    run = app.run(f"runuser -u shop -- touch {ROOT}/current/x")
    assert run.rc != 0
    props = app.check_output("systemctl show gunicorn-shop.service -p ProtectSystem -p ReadWritePaths "
                             "-p CapabilityBoundingSet -p NoNewPrivileges")
    assert "ProtectSystem=strict" in props and "NoNewPrivileges=yes" in props, props
    assert "CapabilityBoundingSet=\n" in props + "\n", props
    writable = re.search(r"ReadWritePaths=(.*)", props).group(1).split()
    assert sorted(p.lstrip("-") for p in writable) == [f"{ROOT}/run", f"{ROOT}/shared/media"], props


def test_secrets_are_private(app: Host, first_secret_key: str) -> None:
    for path in (f"{ROOT}/shared/env", f"{ROOT}/shared/secret_key"):
        f = app.file(path)
        assert (f.user, f.group, f.mode) == ("root", "shop", 0o640), path
    key = first_secret_key
    assert len(key) >= 50
    journal = app.check_output("journalctl --no-pager -o cat")
    assert key not in journal and DB_PASSWORD not in journal


def test_the_app_reads_the_ecosystems_names(app: Host, first_secret_key: str) -> None:
    """DATABASE_URL (read here by dj-database-url), DJANGO_SECRET_KEY beside its _FILE, DJANGO_DEBUG, and the
    static root the app server itself sees (its manifest's)."""
    code = ("import json, os; from django.conf import settings; db = settings.DATABASES['default']; "
            "print(json.dumps({'db': [db['NAME'], db['USER'], db['PASSWORD'], db['OPTIONS']], "
            "'key': os.environ['DJANGO_SECRET_KEY'], 'debug': [os.environ['DJANGO_DEBUG'], settings.DEBUG], "
            "'cookies': [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT]}))")
    # Django 5.2's shell first says what it imported: the JSON is the last line.
    seen = json.loads(app.check_output(f"{MANAGE} shell -c \"{code}\"").splitlines()[-1])
    assert seen["db"] == ["shop", "shop", DB_PASSWORD, {"sslmode": "prefer"}], seen["db"][:2]
    assert seen["key"] == first_secret_key
    assert seen["debug"] == ["False", False]
    assert seen["cookies"] == [True, True, True]
    pid = app.check_output("systemctl show -p MainPID --value gunicorn-shop.service")
    environ = dict(line.split("=", 1) for line in app.check_output(f"tr '\\0' '\\n' < /proc/{pid}/environ").splitlines())
    assert environ["DJANGO_STATIC_ROOT"] == f"{ROOT}/current/static"
    assert app.file(f"{ROOT}/current/static/staticfiles.json").exists


def test_static_files_have_hashed_names(app: Host) -> None:
    page = get(app, "/")
    assert page["status"] == 200, page
    css = re.search(r'href="/static/(notes/site\.[0-9a-f]{12}\.css)"', page["body"])
    assert css, page["body"]
    assert app.file(f"{current(app)}/static/{css.group(1)}").is_file
    # Readable by the web server: no file or directory under the static root is closed to others.
    assert app.check_output(f"find {current(app)}/static ! -perm -o+r") == ""
    assert app.file(f"{current(app)}/static/staticfiles.json").is_file


def test_media_upload_lands_in_shared(app: Host) -> None:
    answer = json.loads(app.check_output(f"python3 {HELPER} upload first-note hello.txt"))
    assert answer["status"] == 302, answer
    uploads = app.check_output(f"find {ROOT}/shared/media/notes -name 'hello*.txt' -printf '%u %m\\n'").split("\n")
    assert uploads and uploads[0] == "shop 640", uploads
    assert version(app)["notes"] >= 1


def test_new_release_under_load(app: Host, tmp_path: Path) -> None:
    before = version(app)
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(webstack_test.app_with_migration(tmp_path)))
    assert run.returncode == 0, run.stdout[-3000:]
    # A dump before the migration: the schema without the new column.
    dump = re.search(r"dumped shop to (/var/backups/postgresql/shop-\w+\.pgc) \(\d+ bytes\)", webstack_test.output(run))
    assert dump, webstack_test.output(run)[-3000:]
    schema = app.check_output(f"pg_restore --schema-only --table=notes_note -f - {dump.group(1)}")
    assert "CREATE TABLE public.notes_note" in schema and "pinned" not in schema
    print(f"dumped before the migration: {dump.group(0)}")
    # The migration ran once, before the switch, and the old release kept serving meanwhile.
    assert sql(app, "SELECT count(*) FROM django_migrations WHERE app = 'notes' AND name = '0003_note_pinned'") == "1"
    assert sql(app, "SELECT column_default FROM information_schema.columns "
                    "WHERE table_name = 'notes_note' AND column_name = 'pinned'") == "false"
    after = version(app)
    assert after["revision"] != before["revision"]
    # The reload forked workers on the new release's code *and* virtualenv.
    assert after["code"] == current(app)
    assert after["django_path"].startswith(current(app) + "/venv/")
    print(f"deploy {before['revision']} -> {after['revision']}: {counts}")
    assert_no_failures(counts)
    assert (counts["first"], counts["last"]) == (before["revision"], after["revision"]), counts
    assert version(app)["notes"] >= 1, "the database kept its rows"


def test_same_release_again_changes_nothing(app: Host, tmp_path: Path) -> None:
    rev = version(app)["revision"]
    run = playbook("deploy.yml", webstack_source_path=str(webstack_test.app_with_migration(tmp_path)))
    assert run.returncode == 0, run.stdout[-3000:]
    assert changed(run, NAME) == 0, run.stdout[-3000:]
    assert version(app)["revision"] == rev


LOCK = "/run/webstack/shop-deploy.lock"


def lock_holder(host: Host) -> str:
    """Who holds the deploy lock ("" when no one does)."""
    lock = host.file(LOCK)
    return json.loads(host.check_output(f"cat {LOCK}"))["holder"] if lock.exists else ""


def plant_lock(host: Host, token: str, holder: str) -> None:
    """A lock as another run would have left it."""
    lock = json.dumps({"holder": holder, "token": token, "since": "2026-12-05T10:00:00Z", "since_epoch": time.time() - 60})
    host.check_output(f"install -d -m 0700 /run/webstack && printf '%s' {shlex.quote(lock)} > {LOCK} && chmod 0600 {LOCK}")


# The lock is the playbooks' own code, the same on both releases (docs/testing.md).
@webstack_test.only_on("trixie")
def test_of_two_deploys_at_once_one_is_refused_naming_the_other(app: Host, tmp_path: Path) -> None:
    """Started together: one holds the lock through its release, the other stops before it changes anything."""
    source = str(webstack_test.app_with_migration(tmp_path))
    serving = current(app)
    processes = [webstack_test.start_playbook(SCENARIO / "deploy.yml", "--extra-vars",
                                              json.dumps({"webstack_source_path": source})) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:  # both outputs read as they come
        runs = dict(zip([process.pid for process in processes], pool.map(webstack_test.finish, processes), strict=True))
    passed = [pid for pid, run in runs.items() if run.returncode == 0]
    refused = [run for run in runs.values() if run.returncode != 0]
    assert len(passed) == 1 and len(refused) == 1, [webstack_test.refusal(run) for run in runs.values()]
    message = webstack_test.refusal(refused[0])
    print(f"refused while another deploy ran: {message}")
    assert f"on {platform.node()} (ansible-playbook pid {passed[0]}): deploy since" in message, message
    assert "webstack_deploy_lock_break=true" in message and "nothing has changed in this one" in message
    assert changed(refused[0], NAME) == 0
    assert current(app) == serving
    assert lock_holder(app) == "", "the deploy that passed gave the lock back"


@webstack_test.only_on("trixie")
def test_a_lock_left_by_another_machine_is_broken_only_on_request(app: Host) -> None:
    holder = "runner on ci-runner-7 (ansible-playbook pid 4242): deploy, GitHub run 17"
    plant_lock(app, "ci-runner-7|4242", holder)
    # The health check alone after the lock: the lock is taken before any release step.
    refused = webstack_test.playbook(SCENARIO / "deploy.yml", "--tags", "site_check")
    assert_refused(refused, NAME, [f"is held by {holder} since 2026-12-05T10:00:00Z",
                                   "-e webstack_deploy_lock_break=true"])
    assert lock_holder(app) == holder
    broken = webstack_test.playbook(SCENARIO / "deploy.yml", "--tags", "site_check", webstack_deploy_lock_break=True)
    assert broken.returncode == 0, webstack_test.output(broken)[-3000:]
    assert lock_holder(app) == "", "given back at the end of the run that broke it"


@webstack_test.only_on("trixie")
def test_a_lock_whose_run_ended_on_this_controller_is_taken_over(app: Host) -> None:
    """A run killed here (or stopped outside a release) left its lock: its process is gone, so the next run goes on."""
    ended = subprocess.Popen(["true"])
    ended.wait()
    holder = f"me on {platform.node()} (ansible-playbook pid {ended.pid}): site"
    plant_lock(app, f"{platform.node()}|{ended.pid}", holder)
    run = webstack_test.playbook(SCENARIO / "rollback.yml", "--tags", "site_check")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert f"took over the deploy lock of {holder}" in webstack_test.output(run)
    assert lock_holder(app) == ""


def workers(host: Host) -> tuple[str, set[str]]:
    main = host.check_output("systemctl show -p MainPID --value gunicorn-shop.service")
    return main, set(host.run(f"pgrep -P {main}").stdout.split())


def wait_for_new_workers(host: Host, old: set[str], count: int = 3) -> None:
    """Until the app server runs `count` workers, none of them from before."""
    for _ in range(300):
        _, now = workers(host)
        if len(now) == count and not now & old:
            return
        host.run("sleep 0.1")
    raise AssertionError(f"workers were not replaced: before {old}, now {now}")


def test_reload_and_restart_under_load(app: Host) -> None:
    for action in ("reload", "restart"):
        with webstack_test.load(NAME) as counts:
            for _ in range(3):
                main, old = workers(app)
                app.check_output(f"systemctl {action} gunicorn-shop.service")
                wait_for_new_workers(app, old)
                assert (workers(app)[0] == main) == (action == "reload")
                # Let the load run on the new workers before the next change: the
                # load then spans every change however fast the host makes it.
                time.sleep(2)
        print(f"gunicorn {action} x3: {counts}")
        # A restart holds requests in the socket's backlog while gunicorn starts, so
        # fewer complete than during a reload; every one of them must succeed.
        assert_no_failures(counts, least=10 if action == "restart" else 50)


def test_rollback_under_load(app: Host) -> None:
    newer = version(app)["revision"]
    previous = app.file(f"{app.check_output(f'readlink -f {ROOT}/previous')}/REVISION").content_string.strip()
    with webstack_test.load(NAME) as counts:
        run = playbook("rollback.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert version(app)["revision"] == previous
    print(f"rollback {newer} -> {previous}: {counts}")
    assert_no_failures(counts)
    assert counts["last"] == previous, counts
    # Rolling back again returns to the newer release.
    run = playbook("rollback.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    assert version(app)["revision"] == newer
    log = app.file(f"{ROOT}/shared/releases.log").content_string.splitlines()
    last = [json.loads(line) for line in log[-2:]]
    assert [entry["action"] for entry in last] == ["rollback", "rollback"]
    assert all(entry["by"] for entry in last)


def vaulted_secrets(directory: Path) -> Path:
    """The inventory's secrets as the README has them (ansible-vault encrypt_string), under a vault password that the
    run is not given: any task that reads one fails with "no vault secrets"."""
    secret = directory / "vault-password"
    secret.write_text("a password this run is not given\n")
    lines = []
    for name in ("webstack_db_password", "webstack_secret_key"):
        encrypted = subprocess.run(["ansible-vault", "encrypt_string", "--vault-password-file", str(secret),
                                    "--name", name, f"secret of {name}"],
                                   check=True, capture_output=True, text=True).stdout
        lines.append(encrypted)
    path = directory / "vaulted.yml"
    path.write_text("".join(lines))
    secret.unlink()
    return path


def test_a_rollback_sticks_until_another_revision_is_asked_for(app: Host, tmp_path: Path) -> None:
    """After a rollback, shipping the revision it replaced (the same source again, as a site run for a firewall
    change would) keeps the rolled-back release; release_unpin ships it. The rollback needs no secret: it runs with
    the secrets vaulted and no vault password given."""
    newer = version(app)["revision"]
    run = webstack_test.playbook(SCENARIO / "rollback.yml", "--extra-vars", f"@{vaulted_secrets(tmp_path)}")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    rolled_back = version(app)["revision"]
    assert rolled_back != newer
    source = str(webstack_test.app_with_migration(tmp_path))
    run = playbook("deploy.yml", webstack_source_path=source)
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert f"A rollback went from {newer} back to {rolled_back}: {rolled_back} stays live" in webstack_test.output(run)
    assert version(app)["revision"] == rolled_back
    run = playbook("deploy.yml", webstack_source_path=source, release_unpin=True)
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert version(app)["revision"] == newer
    assert not app.file(f"{ROOT}/shared/rollback-pin.json").exists


@webstack_test.only_on("bookworm")
def test_code_that_fails_to_import_never_goes_live(app: Host, tmp_path: Path) -> None:
    serving = version(app)["revision"]
    broken = webstack_test.app_variant(tmp_path, "broken-import", (
        "notes/views.py", "from .forms import NoteForm",
        "from .forms import NoteForm\nimport module_that_does_not_exist  # noqa"))
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(broken))
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert "check --deploy" in output and "module_that_does_not_exist" in output, output[-3000:]
    assert "still serves the release it served before" in output
    assert version(app)["revision"] == serving
    print(f"broken import, stopped at the gate: {counts}")
    assert_no_failures(counts)
    assert counts["switches"] == 0 and list(counts["revisions"]) == [serving], counts


BROKEN_MIGRATION = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_words_tally")]
    operations = [migrations.RunSQL("SELECT webstack_no_such_function()")]
"""


@webstack_test.only_on("trixie")
def test_a_dump_that_fails_stops_the_release_before_its_migration(app: Host, tmp_path: Path) -> None:
    """The dump before a migration cannot be written: the release stops there, quoting the dump's own error, and
    neither the migration nor the switch happens."""
    serving = version(app)["revision"]
    variant = webstack_test.app_with_migration(tmp_path, "another-migration")
    (variant / "notes" / "migrations" / "0004_noop.py").write_text(NOOP_MIGRATION)
    app.check_output("mv /var/backups/postgresql /var/backups/postgresql.aside && touch /var/backups/postgresql")
    try:
        run = playbook("deploy.yml", webstack_source_path=str(variant))
    finally:
        app.check_output("rm /var/backups/postgresql && mv /var/backups/postgresql.aside /var/backups/postgresql")
    output = webstack_test.output(run)
    assert run.returncode != 0
    for part in ('stopped at "Prepare | Dump the database before the migration"', "cannot create /var/backups/postgresql/",
                 "still serves the release and the settings it served before"):
        assert part in output, f"{part!r} missing from: {output[-3000:]}"
    print(f"dump failed: {webstack_test.refusal(run)[:600]}")
    assert version(app)["revision"] == serving
    assert sql(app, "SELECT count(*) FROM django_migrations WHERE name = '0004_noop'") == "0"
    assert lock_holder(app) == ""


NOOP_MIGRATION = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notes", "0003_note_pinned")]
    operations = [migrations.RunSQL("SELECT 1", migrations.RunSQL.noop)]
"""


# The failure paths are the release role's own code, the same on both releases: they are split between them
# (docs/testing.md).
@pytest.mark.parametrize("case", webstack_test.split(["a requirement that does not exist", "a migration that fails"]))
def test_a_failed_step_says_what_failed_in_its_own_words(app: Host, tmp_path: Path, case: str) -> None:
    """The installer's resolver error, or the migration's exception, not just "non-zero return code"."""
    serving = version(app)["revision"]
    if case == "a requirement that does not exist":
        broken = webstack_test.app_variant(tmp_path, "bad-requirement", (
            "requirements.txt", "gunicorn==", "webstack-no-such-package==1.0\ngunicorn=="))
        expected = ['stopped at "Build | Install the requirements', "webstack-no-such-package",
                    "The site still serves the release it served before"]
    else:
        broken = webstack_test.app_variant(tmp_path, "bad-migration")
        (broken / "notes" / "migrations" / "0004_broken.py").write_text(BROKEN_MIGRATION)
        expected = ['stopped at "Prepare | Apply migrations"', "webstack_no_such_function() does not exist",
                    "still serves the release and the settings it served before"]
    run = playbook("deploy.yml", webstack_source_path=str(broken))
    output = webstack_test.output(run)
    assert run.returncode != 0
    for part in expected:
        assert part in output, f"{part!r} missing from: {output[-3000:]}"
    print(f"{case}: {webstack_test.refusal(run)[:600]}")
    assert version(app)["revision"] == serving
    assert lock_holder(app) == "", "a release that failed gave the deploy lock back"
    assert sql(app, "SELECT count(*) FROM django_migrations WHERE name = '0004_broken'") == "0"


@webstack_test.only_on("trixie")
def test_a_wsgi_app_that_does_not_import_never_goes_live(app: Host, tmp_path: Path) -> None:
    """check --deploy does not import the module the app server loads; the release does, before the switch."""
    serving = version(app)["revision"]
    release = webstack_test.app_variant(tmp_path, "wsgi-typo")
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(release),
                       webstack_wsgi_app="webstack_example.wsgi:aplication")
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert "Import the WSGI application" in output and "aplication" in output, output[-3000:]
    assert version(app)["revision"] == serving
    print(f"wsgi typo, stopped before the switch: {counts}")
    assert_no_failures(counts)
    assert counts["switches"] == 0, counts


@webstack_test.only_on("bookworm")
def test_failing_health_check_is_switched_back(app: Host, tmp_path: Path) -> None:
    serving = version(app)["revision"]
    previous = app.check_output(f"readlink -f {ROOT}/previous")
    healthy = 'return JsonResponse({"status": "ok", "database": "ok", "revision": revision()})'
    failing = 'return JsonResponse({"status": "broken", "revision": revision()}, status=500)'
    broken = webstack_test.app_variant(tmp_path, "broken-health", ("notes/views.py", healthy, failing))
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(broken), release_health_retries=3)
    output = webstack_test.output(run)
    assert run.returncode != 0
    assert re.search(r"deploy of release [0-9a-f]{12} .* failed at .*health check", output), output[-3000:]
    assert "answered 500" in output and "Switched back" in output, output[-3000:]
    assert version(app)["revision"] == serving
    assert app.check_output(f"readlink -f {ROOT}/previous") == previous
    print(f"failing health check, switched back: {counts}")
    assert_no_failures(counts)
    assert counts["last"] == serving, counts


def test_a_source_directory_in_git_is_named_by_its_commit(app: Host, tmp_path: Path) -> None:
    project = webstack_test.app_variant(tmp_path, "committed")
    commit = webstack_test.committed(project)
    before = version(app)["revision"]
    run = playbook("deploy.yml", webstack_source_path=str(project))
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert version(app)["revision"] == commit[:12]
    assert f"serves release {commit[:12]}, which replaced {before}" in webstack_test.output(run)


# The example app's home page, and the same page with a template that is missing (as a missing manifest entry would be).
INDEX = 'return render(request, "notes/index.html", context)'
MISSING_PAGE = 'return render(request, "notes/no_such_page.html", context)'


@webstack_test.only_on("trixie")
def test_a_release_whose_page_fails_is_stopped_before_the_switch(app: Host, tmp_path: Path) -> None:
    """The health path answers 200, / answers 500 (a template that is missing, as a missing manifest entry
    would be): the smoke path, asked of the release in its own process, stops it before it serves anybody."""
    serving = version(app)["revision"]
    broken = webstack_test.app_variant(tmp_path, "broken-page-before", ("notes/views.py", INDEX, MISSING_PAGE))
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(broken))
    output = webstack_test.output(run)
    print(f"broken page, stopped before the switch: {counts}")
    assert run.returncode != 0
    assert "GET / (Host shop.example.test) answered 500 before the switch" in output, output[-3000:]
    assert "TemplateDoesNotExist: notes/no_such_page.html" in output, output[-3000:]
    assert "Switched back" not in output
    assert version(app)["revision"] == serving
    # The broken release never answered anybody: the revision users got never changed.
    assert_no_failures(counts)
    assert counts["switches"] == 0 and counts["last"] == serving, counts


@webstack_test.only_on("bookworm")
def test_a_page_that_fails_only_in_the_app_server_is_switched_back_quoting_its_traceback(app: Host,
                                                                                        tmp_path: Path) -> None:
    """A page that answers 500 only under the app server (standing for what only it shows: its sandbox, its
    settings) passes the check before the switch; the smoke path through the socket fails the release, and
    the message quotes the app's traceback from the journal."""
    serving = version(app)["revision"]
    only_there = f'if "gunicorn" in request.META.get("SERVER_SOFTWARE", ""):\n        {MISSING_PAGE}\n    {INDEX}'
    broken = webstack_test.app_variant(tmp_path, "broken-page", ("notes/views.py", INDEX, only_there))
    with webstack_test.load(NAME) as counts:
        run = playbook("deploy.yml", webstack_source_path=str(broken))
    output = webstack_test.output(run)
    print(f"broken page, switched back: {counts}")
    assert run.returncode != 0
    assert "answered 500 before the switch" not in output, output[-3000:]
    assert "Ask the smoke paths" in output and "GET / (Host shop.example.test) answered 500" in output, output[-3000:]
    assert "Switched back" in output
    assert "The app's journal: Internal Server Error: / | Traceback (most recent call last):" in output, output[-3000:]
    assert "TemplateDoesNotExist: notes/no_such_page.html" in output, output[-3000:]
    assert version(app)["revision"] == serving
    assert_no_failures(counts)


def test_git_source_with_deploy_key(app: Host) -> None:
    key = (EPHEMERAL / "deploy_key").read_text()
    repo = "ssh://git@127.0.0.1/srv/git/app.git"
    v1 = app.check_output("git --git-dir=/srv/git/app.git rev-parse v1^{commit}")
    v2 = app.check_output("git --git-dir=/srv/git/app.git rev-parse v2^{commit}")
    # A branch, a commit and a tag; the tag is the branch's commit, so that release exists already.
    for ref, sha in (("main", v2), (v1, v1), ("v2", v2)):
        run = playbook("deploy.yml", webstack_git_repo=repo, webstack_git_version=ref, release_git_key=key)
        assert run.returncode == 0, run.stdout[-3000:]
        assert version(app)["revision"] == sha[:12], ref
        assert not app.file(f"{ROOT}/releases/{sha[:12]}/.git").exists
    deploy_key = app.file("/etc/webstack/shop/deploy_key")
    assert (deploy_key.user, deploy_key.mode) == ("root", 0o600)
    assert key.strip() not in webstack_test.outputs()


def test_old_releases_are_pruned(app: Host) -> None:
    releases = app.check_output(f"find {ROOT}/releases -mindepth 1 -maxdepth 1 -type d").split()
    assert len(releases) <= 3, releases
    assert current(app) in releases
    assert app.check_output(f"readlink -f {ROOT}/previous") in releases


def test_release_record(app: Host) -> None:
    entries = [json.loads(line) for line in app.file(f"{ROOT}/shared/releases.log").content_string.splitlines()]
    assert entries[-1]["revision"] == version(app)["revision"]
    for entry in entries:
        assert set(entry) >= {"time", "action", "revision", "release", "by", "host"}
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", entry["time"])
    meta = json.loads(app.file(f"{current(app)}/.webstack-release.json").content_string)
    assert meta["source"] == "git" and meta["version"] == "main", meta


BAD_INPUT: dict[str, tuple[dict, list[str]]] = {
    "unknown source": ({"release_source": "svn"}, ["release_source", "svn"]),
    "host name with a space": ({"webstack_domains": ["shop example"]}, ["release_allowed_hosts", "shop example"]),
    "keep only one release": ({"release_keep": 1}, ["release_keep must be at least 2"]),
    "not a number": ({"release_keep": "many"}, ["release_keep", "int"]),
    "no database password": ({"webstack_db_password": ""}, ["release_db_password"]),
    "weak secret key": ({"release_secret_key": "short"}, ["release_secret_key", "at least 50 characters"]),
    "source without manage.py": ({"webstack_source_path": "/var/empty"}, ["release_source_path", "manage.py"]),
}


# Refused by the validation play, whose code is the same on both releases: split between them.
@pytest.mark.parametrize("case", webstack_test.split(list(BAD_INPUT)))
def test_bad_input_fails_before_any_change(app: Host, case: str) -> None:
    extra_vars, expected = BAD_INPUT[case]
    serving = current(app)
    env_before = app.check_output(f"sha256sum {ROOT}/shared/env")
    assert_refused(playbook("deploy.yml", **extra_vars), NAME, expected)
    assert current(app) == serving
    assert app.check_output(f"sha256sum {ROOT}/shared/env") == env_before


def test_app_server_never_failed(app: Host) -> None:
    """Through every deploy, reload, restart, rollback and pruning, gunicorn's master never died."""
    journal = app.check_output("journalctl -u gunicorn-shop.service --no-pager -o cat")
    assert "Main process exited" not in journal, journal[-3000:]
    assert "can't chdir" not in journal
    assert app.check_output("systemctl show -p NRestarts --value gunicorn-shop.service") == "0"


# Runs after test_app_server_never_failed (file order): each case makes gunicorn's
# master exit until its settings are put back. One case per Debian release
# (WEBSTACK_CASES=all runs both on each; docs/testing.md).
BREAKING_SETTINGS = [
    ("a setting gunicorn cannot read", {"gunicorn_settings": {"limit_request_line": "8k"}}),
    ("a WSGI callable that does not exist", {"gunicorn_wsgi_app": "webstack_example.wsgi:aplication"}),
]
MY_BREAKING_SETTINGS = webstack_test.split(BREAKING_SETTINGS)


@pytest.mark.parametrize(("case", "extra_vars"), MY_BREAKING_SETTINGS)
def test_app_server_settings_that_break_the_app_are_put_back(app: Host, case: str, extra_vars: dict) -> None:
    config = "/etc/gunicorn/shop.conf.py"
    before = app.check_output(f"sha256sum {config} /etc/systemd/system/gunicorn-shop.service")
    serving = version(app)["revision"]
    run = playbook("gunicorn.yml", gunicorn_health_retries=3, **extra_vars)
    out = webstack_test.output(run)
    print(f"put back ({case}): {out[out.find('The changed app server'):][:700]}")
    assert run.returncode != 0, out[-3000:]
    assert "did not pass the health gate" in out and config in out, out[-3000:]
    assert "The settings that served before are back" in out
    assert app.check_output(f"sha256sum {config} /etc/systemd/system/gunicorn-shop.service") == before
    assert app.service("gunicorn-shop.service").is_running
    assert version(app)["revision"] == serving
    # The next run with the settings that serve changes nothing.
    again = playbook("gunicorn.yml")
    assert again.returncode == 0 and webstack_test.changed(again, NAME) == 0, webstack_test.output(again)[-3000:]


# A password from a generator, kept !unsafe as in a vault.
ADMIN_PASSWORD = "Admin p4ss $\"'`{#{{% end"


def manage(tmp_path: Path, cmd: object) -> subprocess.CompletedProcess[str]:
    """The collection's manage playbook, its secret in an extra-vars file as a vault would give it."""
    secrets = tmp_path / "manage.yml"
    quoted = ADMIN_PASSWORD.replace("'", "''")
    secrets.write_text(f"manage_environment: {{DJANGO_SUPERUSER_PASSWORD: !unsafe '{quoted}'}}\n", encoding="utf-8")
    return webstack_test.playbook(PROJECT / "playbooks" / "manage.yml", "-e", f"@{vaulted_secrets(tmp_path)}",
                                  "-e", f"@{secrets}", cmd=cmd)


def test_a_management_command_from_the_controller(app: Host, tmp_path: Path) -> None:
    """createsuperuser --noinput through the manage playbook, its password only in the environment; the same
    environment then logs the admin in."""
    run = manage(tmp_path, "createsuperuser --noinput --username admin --email admin@example.test")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    run = manage(tmp_path, ["shell", "-c", "import os; from django.contrib.auth import authenticate; "
                            "print('login', authenticate(username='admin', "
                            "password=os.environ['DJANGO_SUPERUSER_PASSWORD']) is not None)"])
    assert run.returncode == 0 and "login True" in run.stdout, webstack_test.output(run)[-3000:]
    assert not app.file("/run/webstack-manage-shop.env").exists
    # The same on the host, for admins: sudo shop-manage, with the app's environment (its database, not SQLite).
    code = "from django.db import connection; print(connection.vendor, connection.settings_dict['NAME'])"
    vendor = app.run(f'shop-manage shell -c "{code}"')
    assert vendor.rc == 0 and vendor.stdout.strip().splitlines()[-1] == "postgresql shop", vendor.stdout + vendor.stderr
    refused = app.run("runuser -u nobody -- /usr/local/sbin/shop-manage check")
    assert refused.rc != 0 and "run it with sudo" in refused.stderr, refused.stderr
    failed = manage(tmp_path, "migrate no_such_app")
    assert failed.returncode != 0
    assert "manage.py migrate exited with 1" in webstack_test.output(failed), webstack_test.output(failed)[-2000:]


def test_the_logs_from_the_controller(app: Host, tmp_path: Path) -> None:
    """The logs need no vault password: the inventory's secrets are vaulted, and the run is not given it."""
    run = webstack_test.playbook(PROJECT / "playbooks" / "logs.yml", "-e", f"@{vaulted_secrets(tmp_path)}",
                                 webstack_log_lines=20)
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert "gunicorn-shop" in run.stdout, run.stdout[-2000:]


def test_no_secret_in_any_log(app: Host, first_secret_key: str) -> None:
    key = app.file(f"{ROOT}/shared/secret_key").content_string.strip()
    assert key == first_secret_key, "the generated secret key was replaced"
    outputs = webstack_test.outputs()
    text = outputs + app.check_output("journalctl --no-pager -o cat")
    assert outputs
    assert DB_PASSWORD not in text
    assert key not in text
    # The admin's password (test_a_management_command_from_the_controller), in no log of the host either.
    assert ADMIN_PASSWORD not in text
    assert app.run(f"grep -rlF {shlex.quote(ADMIN_PASSWORD)} /var/log /run/log").stdout == ""
