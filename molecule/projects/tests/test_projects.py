"""Projects we did not write, deployed by the site playbook with only documented inventory
variables and the README's adoption steps: a `wagtail start` project (a split settings
package, one line added to production.py and the drop-in file copied in) and a twelve-factor
project (django-environ, dj-database-url, whitenoise, a Procfile; no line changed).

For each: its pages answer 200 through nginx, a hashed static file its page references is
served and cached for good, an admin logs in after `manage createsuperuser`, and a release whose
home page fails is stopped before it serves, with zero failed requests. The twelve-factor project
is served as ASGI (gunicorn with uvicorn's worker), and its Procfile's worker (django-tasks'
`db_worker`) runs the tasks its code enqueues.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import webstack_test
from testinfra.host import Host
from webstack_test import HTTP_HELPER, assert_no_failures

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
PROJECT = SCENARIO.parent.parent
PROJECTS = PROJECT / "molecule" / "projects"
PLAYBOOKS = PROJECT / "playbooks"
ADMIN_PASSWORD = "Test-only admin p4ss, 'quoted' $x"


@dataclass(frozen=True)
class Site:
    key: str
    app: str
    domain: str
    source: Path
    # A second page of the project's own, besides /.
    page: str
    admin_login: str
    # The file whose edit makes / answer 500, the text it holds and what replaces it.
    breakage: tuple[str, str, str]

    @property
    def name(self) -> str:
        return webstack_test.container(f"webstack-{self.key}")


SITES = {
    "wagtail": Site(
        "wagtail", "mysite", "wagtail.example.test",
        PROJECT / ".cache" / f"projects-{webstack_test.DISTRO}" / "mysite",
        "/search/?query=welcome", "/admin/login/",
        ("home/models.py", "class HomePage(Page):\n    pass",
         "class HomePage(Page):\n    def serve(self, request, *args, **kwargs):\n        raise RuntimeError('broken home page')"),
    ),
    "twelve_factor": Site(
        "twelve-factor", "blog", "blog.example.test", PROJECTS / "twelve_factor",
        "/admin/login/", "/admin/login/",
        ("blog/views.py", 'return render(request, "blog/index.html"', 'return render(request, "blog/no_such_page.html"'),
    ),
}


# Where the scenario has an ACME server (twelve_factor), nginx serves a certificate pebble issued, whose root the
# web host fetches here; elsewhere its self-signed one.
ROOT_CA = "/var/tmp/pebble-root.pem"


def has_acme(site: Site) -> bool:
    return site.key == "twelve-factor"


@pytest.fixture(scope="module")
def site() -> Site:
    """The scenario's project: wagtail or twelve_factor."""
    site = SITES[os.environ["MOLECULE_SCENARIO_NAME"]]
    webstack_test.copy_http_helper(site.name)
    if has_acme(site):
        on(site).check_output(f"curl -sfk https://webstack-{site.key}-acme:15000/roots/0 -o {ROOT_CA}")
    return site


def on(site: Site) -> Host:
    return webstack_test.host(f"webstack-{site.key}")


def curl(site: Site, path: str, *options: str) -> str:
    """HTTPS through the host's nginx by the site's name: headers, then the body."""
    return on(site).check_output(
        f"curl -sk -D - --resolve {site.domain}:443:127.0.0.1 {' '.join(options)} 'https://{site.domain}{path}'"
    )


def status(answer: str) -> int:
    return int(answer.split()[1])


def http_env(site: Site) -> dict[str, str]:
    return {"WEBSTACK_TLS": "127.0.0.1", "WEBSTACK_HOST": site.domain,
            "WEBSTACK_CA": ROOT_CA if has_acme(site) else f"/etc/nginx/tls/{site.app}-temporary.crt",
            "WEBSTACK_LOAD_PATH": "/"}


def playbook(name: str, site: Site, *args: str, **extra: object):
    return webstack_test.playbook(PLAYBOOKS / f"{name}.yml", "--limit", site.name, *args, **extra)


def test_pages_answer_200_through_nginx(site: Site) -> None:
    for path in ("/", site.page):
        answer = curl(site, path)
        assert status(answer) == 200, answer[:2000]
        assert "strict-transport-security" in answer.lower(), answer[:1000]
    assert status(curl(site, "/no-such-page/")) == 404


def test_a_hashed_static_file_is_served_and_cached_for_good(site: Site) -> None:
    page = curl(site, "/")
    css = re.search(r'href="(/static/[^"]+\.[0-9a-f]{12}\.css)"', page)
    assert css, page[:3000]
    answer = curl(site, css.group(1), "-o /dev/null")
    assert status(answer) == 200, answer
    assert re.search(r"(?im)^cache-control: .*immutable", answer), answer
    cache = answer.lower().split("cache-control: ")[1].splitlines()[0]
    print(f"{site.key}: {css.group(1)} answered {status(answer)} with cache-control {cache}")


def test_the_projects_own_roots_are_linked_into_place(site: Site) -> None:
    """The twelve-factor project collects into BASE_DIR / "staticfiles" and uploads to BASE_DIR / "mediafiles",
    as written; Wagtail's drop-in reads the role's roots. Either way nginx finds them, and uploads outlive releases."""
    host = on(site)
    current = host.check_output(f"readlink -f /srv/{site.app}/current")
    manifest = host.file(f"{current}/static/staticfiles.json")
    assert manifest.exists, f"no manifest in {current}/static"
    if site.key == "twelve-factor":
        assert host.file(f"{current}/static").linked_to == f"{current}/staticfiles"
        assert host.file(f"{current}/mediafiles").linked_to == f"/srv/{site.app}/shared/media"
    else:
        assert host.file(f"{current}/static").is_directory


def test_uploads_on_disk_are_served_without_listing(site: Site) -> None:
    """Local media (one web host): nginx serves the media directory at /media/, with nosniff, and lists nothing.
    With uploads in a bucket it serves none (the cluster's tests/test_media.py)."""
    on(site).check_output(f"runuser -u {site.app} -- sh -c 'umask 027; echo uploaded > /srv/{site.app}/shared/media/probe.txt'")
    answer = curl(site, "/media/probe.txt")
    assert status(answer) == 200 and answer.rstrip().endswith("uploaded"), answer
    assert "x-content-type-options: nosniff" in answer.lower()
    listing = curl(site, "/media/")
    assert status(listing) in (403, 404), listing
    assert "probe.txt" not in listing


def test_an_admin_logs_in_after_manage_createsuperuser(site: Site) -> None:
    run = playbook("manage", site, webstack_manage_host=site.name,
                   cmd="createsuperuser --noinput --username admin --email admin@example.test",
                   manage_environment={"DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD})
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    answer = on(site).check_output(
        f"WEBSTACK_PASSWORD={shlex.quote(ADMIN_PASSWORD)} "
        + " ".join(f"{key}={value}" for key, value in http_env(site).items())
        + f" python3 {HTTP_HELPER} login {site.admin_login} admin"
    )
    result = json.loads(answer)
    print(f"{site.key}: admin login {result}")
    assert result["form_status"] == 200, result
    assert result["login_status"] == 302 and result["session"], result
    assert result["after_status"] == 200, result
    # The password went through the environment only: in no log of the host.
    logs = on(site).check_output("journalctl --no-pager -q -o cat; cat /var/log/auth.log 2>/dev/null || true")
    assert ADMIN_PASSWORD not in logs


def twelve_factor_only(site: Site) -> None:
    if site.key != "twelve-factor":
        pytest.skip("the twelve-factor project's Procfile and ASGI application")


def manage(site: Site, code: str) -> str:
    """Python run by the project's `manage.py shell` on the host, as the app (the admins' command); its output."""
    return on(site).check_output(f"/usr/local/sbin/{site.app}-manage shell --no-startup -c {shlex.quote(code)}")


def test_the_drop_in_logs_to_the_journal_and_reads_the_mail_relay(site: Site) -> None:
    """Wagtail's settings import the drop-in (the twelve-factor project reads its environment itself): a warning of
    the app, a refused login form, is in the app server's journal, and EMAIL_URL became Django's settings."""
    if site.key != "wagtail":
        pytest.skip("the drop-in is the wagtail project's")
    host = on(site)
    since = host.check_output("date +%s")
    answer = curl(site, "/admin/login/", "-X POST -d username=admin")
    assert status(answer) == 403, answer[:1000]
    journal = host.check_output(f"sleep 1; journalctl -u gunicorn-{site.app}.service --since @{since} -o cat --no-pager")
    # Over HTTPS Django checks the Referer first: "Forbidden (Referer checking failed - no Referer.)".
    assert re.search(r"^WARNING django\.security\.csrf: Forbidden \(.+\): /admin/login/$", journal, re.M), journal[-2000:]
    read = manage(site, "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
                        "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, s.SERVER_EMAIL)")
    # The last line: Django 5.2's shell first says how many objects it imported.
    assert read.splitlines()[-1].split() == ["smtp.example.test", "2587", "mysite@example.test", "test-only/pass", "True",
                            "mysite@example.test", "mysite@example.test"], read


def test_the_asgi_application_is_served_by_uvicorns_worker(site: Site) -> None:
    """webstack_asgi_app: gunicorn loads config.asgi:application with uvicorn's worker class, and uvicorn serves."""
    twelve_factor_only(site)
    host = on(site)
    settings = host.file(f"/etc/gunicorn/{site.app}.conf.py").content_string
    assert 'wsgi_app = "config.asgi:application"' in settings
    assert 'worker_class = "uvicorn_worker.UvicornWorker"' in settings
    journal = host.check_output(f"journalctl -u gunicorn-{site.app}.service -o cat --no-pager")
    print(f"{site.key}: the app server's journal, last lines: {journal.splitlines()[-4:]}")
    assert re.search(r"Started server process \[\d+\]", journal), journal[-2000:]
    assert status(curl(site, "/")) == 200


def test_the_procfiles_worker_runs_the_projects_tasks(site: Site) -> None:
    """The Procfile's `worker: python manage.py db_worker` is a unit of its own, which runs a task enqueued by the
    project's code: the task's result is in the database, and the worker's journal names it."""
    twelve_factor_only(site)
    host = on(site)
    unit = f"{site.app}-worker@1.service"
    assert host.service(unit).is_running and host.service(unit).is_enabled
    assert "python manage.py db_worker" in host.file(f"/etc/systemd/system/{site.app}-worker@.service").content_string
    task_id = manage(site, (
        "from blog.models import Post\n"
        "Post.objects.update_or_create(slug='tasks-test', defaults={'title': 'Tasks', 'body': 'one two three four five'})\n"
        "from blog.tasks import count_words\n"
        "print(count_words.enqueue('tasks-test').id)"
    )).strip().splitlines()[-1]
    result = ""
    for _ in range(60):
        result = manage(site, (
            "from django_tasks_db.models import DBTaskResult\n"
            f"r = DBTaskResult.objects.get(id='{task_id}')\n"
            "print(r.status, r.return_value)"
        )).strip().splitlines()[-1]
        if not result.startswith(("READY", "RUNNING")):
            break
        time.sleep(1)
    journal = host.check_output(f"journalctl -u {unit} -o cat --no-pager")
    print(f"{site.key}: task {task_id} -> {result}")
    assert result == "SUCCESSFUL 5", result
    assert re.search(rf"Task id={task_id} .*state=SUCCESSFUL", journal), journal[-2000:]


def project_copy(site: Site, tmp_path: Path, edit: tuple[str, str, str]) -> Path:
    """The project outside its git tree (a release named by its files), with one edit: file, text, replacement."""
    copy = tmp_path / site.key
    shutil.copytree(site.source, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "db.sqlite3", ".git"))
    path = copy / edit[0]
    text = path.read_text()
    assert edit[1] in text, f"{edit[1]!r} not in {path}"
    path.write_text(text.replace(edit[1], edit[2]))
    return copy


def test_a_check_mode_deploy_of_new_code_reports_it_and_changes_nothing(site: Site, tmp_path: Path) -> None:
    """--check --diff with code the host has not seen: the run says what it would change, and builds nothing."""
    host = on(site)
    serving = host.check_output(f"readlink -f /srv/{site.app}/current")
    releases = host.check_output(f"ls /srv/{site.app}/releases")
    changed = project_copy(site, tmp_path, ("manage.py", "import sys\n", "import sys  # edited\n"))
    run = playbook("deploy", site, "--check", "--diff", webstack_source_path=str(changed))
    print(f"check-mode deploy of new code on {site.key}: rc={run.returncode}, "
          f"changed={webstack_test.changed(run, site.name)}")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert webstack_test.changed(run, site.name) > 0, run.stdout[-3000:]
    assert host.check_output(f"readlink -f /srv/{site.app}/current") == serving
    assert host.check_output(f"ls /srv/{site.app}/releases") == releases


def test_a_release_whose_home_page_fails_is_stopped_before_it_serves(site: Site, tmp_path: Path) -> None:
    """Users ask / all along: the smoke path, asked of the new release before the switch, stops it, and nobody
    gets its 500."""
    host = on(site)
    serving = host.check_output(f"readlink -f /srv/{site.app}/current")
    broken = project_copy(site, tmp_path, site.breakage)
    started = time.monotonic()
    with webstack_test.load(site.name, http_env(site)) as counts:
        run = playbook("deploy", site, webstack_source_path=str(broken))
    seconds = time.monotonic() - started
    output = webstack_test.output(run)
    gate = re.search(r"GET / \(Host [^)]*\) answered 500 before the switch.{0,200}", output)
    print(f"broken home page on {site.key}, stopped in {seconds:.0f} s: {counts}")
    print(f"broken home page on {site.key}, the gate said: {gate.group(0) if gate else output[-1500:]}")
    assert run.returncode != 0
    assert gate, output[-3000:]
    assert "Switched back" not in output
    assert host.check_output(f"readlink -f /srv/{site.app}/current") == serving
    assert_no_failures(counts)
    assert status(curl(site, "/")) == 200


def from_address(site: Site, address: str, path: str) -> str:
    """curl -k through the host's nginx, as a client at address (127.0.0.0/8 is the host's own: no firewall)."""
    return on(site).check_output(f"curl -sk -D - --interface {address} --resolve {site.domain}:443:127.0.0.1 "
                                 f"'https://{site.domain}{path}'")


def maintenance_on_wagtail_only(site: Site) -> None:
    """nginx's own logic, the same on both releases (docs/testing.md)."""
    if site.key != "wagtail":
        pytest.skip("maintenance mode is tested in the wagtail scenario")


VISITOR, ADMIN = "127.0.0.2", "127.0.0.3"


def test_maintenance_mode_shows_visitors_a_static_503_and_lets_admins_in(site: Site) -> None:
    maintenance_on_wagtail_only(site)
    refused = playbook("maintenance", site, state="maybe")
    webstack_test.assert_refused(refused, site.name, ['maintenance needs -e state=on or -e state=off (got "maybe")'])
    run = playbook("maintenance", site, state="on", nginx_maintenance_allowed=[f"{ADMIN}/32"])
    output = webstack_test.output(run)
    assert run.returncode == 0, output[-3000:]
    assert "maintenance mode on; a visitor gets 503 for / with Retry-After 300" in output, output[-3000:]
    for path in ("/", site.page):
        answer = from_address(site, VISITOR, path)
        head = answer.lower()
        assert status(answer) == 503, answer[:1500]
        assert "retry-after: 300" in head and "cache-control: no-store" in head, answer[:1500]
        assert "strict-transport-security" in head and "Down for maintenance" in answer, answer[:1500]
    print(f"maintenance: a visitor gets {answer.splitlines()[0].strip()}, retry-after 300")
    # Static files, the admins and the host itself (the deploys' checks) still get through.
    page = from_address(site, ADMIN, "/")
    assert status(page) == 200, page[:1500]
    css = re.search(r'href="(/static/[^"]+\.css)"', page)
    assert css and status(from_address(site, VISITOR, css.group(1))) == 200
    assert status(curl(site, "/")) == 200
    # A site run keeps the mode as it is (the admins' addresses are the inventory's, given here as there).
    again = playbook("site", site, "--tags", "nginx", nginx_maintenance_allowed=[f"{ADMIN}/32"])
    assert again.returncode == 0, webstack_test.output(again)[-3000:]
    assert webstack_test.changed(again, site.name) == 0, again.stdout[-3000:]
    assert status(from_address(site, VISITOR, "/")) == 503
    assert status(from_address(site, ADMIN, "/")) == 200


def test_a_deploy_of_the_same_project_changes_nothing(site: Site) -> None:
    started = time.monotonic()
    run = playbook("deploy", site)
    seconds = time.monotonic() - started
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    print(f"deploy of the unchanged {site.key} project: {seconds:.0f} s, changed={webstack_test.changed(run, site.name)}")
    assert webstack_test.changed(run, site.name) == 0, run.stdout[-3000:]


def test_maintenance_mode_off_serves_everyone_again(site: Site) -> None:
    """After the deploy above, which ran (and checked the site through nginx) in maintenance mode."""
    maintenance_on_wagtail_only(site)
    run = playbook("maintenance", site, state="off")
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert "maintenance mode off; a visitor gets 200 for /" in webstack_test.output(run)
    answer = from_address(site, VISITOR, "/")
    assert status(answer) == 200 and "retry-after" not in answer.lower(), answer[:1500]
    assert on(site).run(f"grep -c 'Maintenance mode' /etc/nginx/sites-available/{site.app}.conf").stdout.strip() == "0"


def test_a_deploy_brings_back_a_worker_stopped_by_its_start_limit(site: Site, tmp_path: Path) -> None:
    """A restart counts toward a unit's start limit (10 in 5 minutes): a run of deploys and rollbacks reaches it.
    The next release starts the worker all the same: the release resets the limit before its restart."""
    twelve_factor_only(site)
    host = on(site)
    unit = f"{site.app}-worker@1.service"
    host.run(f"for i in $(seq 12); do systemctl restart {unit}; done")
    assert host.check_output(f"systemctl show -p Result --value {unit}") == "start-limit-hit"
    assert not host.service(unit).is_running
    changed = project_copy(site, tmp_path, ("manage.py", "import sys\n", "import sys  # another release\n"))
    run = playbook("deploy", site, webstack_source_path=str(changed))
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert host.service(unit).is_running
    assert host.check_output(f"systemctl show -p NRestarts --value {unit}") == "0"
    print(f"{site.key}: the worker, stopped by its start limit, started by the next release")


def test_a_process_no_longer_declared_is_stopped_and_removed(site: Site) -> None:
    """Last: the inventory declares no process and the Procfile is no longer read. The Procfile's worker is stopped,
    not started at boot, its unit file gone and forgotten by systemd, and the release role has no process left to
    restart; the site still serves."""
    twelve_factor_only(site)
    host = on(site)
    unit = f"{site.app}-worker@1.service"
    assert host.service(unit).is_running
    run = playbook("site", site, "--tags", "processes", webstack_processes={}, processes_from_procfile=False)
    assert run.returncode == 0, webstack_test.output(run)[-3000:]
    assert not host.service(unit).is_running
    # Not started at boot: no link from a target's wants, and no unit file.
    assert host.check_output(f"find /etc/systemd/system -name '{unit}' | wc -l") == "0"
    assert not host.file(f"/etc/systemd/system/{site.app}-worker@.service").exists
    assert host.check_output(f"systemctl show -p LoadState --value {unit}") == "not-found"
    state = json.loads(host.file(f"/etc/webstack/{site.app}-processes.json").content_string)
    assert state == {"units": [], "processes": [], "files": []}, state
    assert status(curl(site, "/")) == 200
    print(f"{site.key}: the Procfile's worker, no longer declared, stopped and removed "
          f"({webstack_test.changed(run, site.name)} changed)")
