# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""roles/release/files/gate.py, run as the release role runs it (`python -c "<file>" check|finish ...` in the
release directory), against a project made by `django-admin startproject` with SQLite."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

GATE = (Path(__file__).resolve().parents[3] / "roles" / "release" / "files" / "gate.py").read_text()

SETTINGS_END = """
STATIC_ROOT = BASE_DIR / "collected"
DEBUG = False
ALLOWED_HOSTS = ["shop.example.test"]
"""

URLS = """
from django.http import HttpResponse
from django.urls import path


def home(request):
    return HttpResponse("home")


def boom(request):
    return {}["missing"]


urlpatterns = [path("", home), path("boom", boom)]
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    subprocess.run([sys.executable, "-m", "django", "startproject", "shop", str(root)], check=True)
    with (root / "shop" / "settings.py").open("a") as settings:
        settings.write(SETTINGS_END)
    (root / "shop" / "urls.py").write_text(URLS)
    (root / "shop" / "static").mkdir()
    (root / "shop" / "static" / "site.css").write_text("body {}\n")
    with (root / "shop" / "settings.py").open("a") as settings:
        settings.write('STATICFILES_DIRS = [BASE_DIR / "shop" / "static"]\n')
    return root


def gate(project: Path, *args: str) -> tuple[int, list[dict]]:
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run([sys.executable, "-c", GATE, *args], cwd=project, capture_output=True, text=True,
                          env=environment, check=False)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stderr
    return done.returncode, lines


def test_the_deployment_checks_fail_with_djangos_own_words(project: Path) -> None:
    rc, lines = gate(project, "check", "shop.wsgi:application", "1", "1")
    assert rc == 1
    assert lines[-1]["failed"] == "check --deploy"
    assert "security.W" in lines[-1]["error"] and "SECURE_HSTS_SECONDS" in lines[-1]["error"]
    assert lines[-1]["migrations"] == ""


def test_the_gate_reads_the_roots_and_the_unapplied_migrations(project: Path) -> None:
    rc, lines = gate(project, "check", "shop.wsgi:application", "0", "1")
    assert rc == 0, lines
    assert lines[-1] == {"failed": "", "error": "", "migrations": "pending",
                         "roots": {"STATIC_ROOT": str((project / "collected").resolve()), "MEDIA_ROOT": ""}}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=project, check=True,
                   env={key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"})
    rc, lines = gate(project, "check", "shop.wsgi:application", "0", "1")
    assert (rc, lines[-1]["migrations"]) == (0, "none")
    rc, lines = gate(project, "check", "shop.wsgi:application", "0", "0")
    assert (rc, lines[-1]["migrations"]) == (0, "")


@pytest.mark.parametrize(("target", "words"), [
    ("shop.wsgi:aplication", "aplication"),
    ("shop.wsgy:application", "No module named 'shop.wsgy'"),
    ("shop.settings:DEBUG", "shop.settings:DEBUG is not a callable"),
])
def test_a_wsgi_application_that_does_not_import_stops_the_gate(project: Path, target: str, words: str) -> None:
    for command in (["check", target, "1", "1"], ["finish", target, "1", "shop.example.test", "/"]):
        rc, lines = gate(project, *command)
        assert rc == 1
        assert lines[-1]["failed"] == "import" and words in lines[-1]["error"], lines


def test_an_asgi_apps_worker_class_is_imported_before_the_app(project: Path) -> None:
    """webstack_asgi_app: a release whose virtualenv lacks uvicorn's worker stops at the gate, naming it; gunicorn's
    own classes (no dot) import nothing."""
    rc, lines = gate(project, "check", "shop.asgi:application", "0", "0", "uvicorn_worker_missing.UvicornWorker")
    assert rc == 1
    assert lines[-1]["failed"] == "worker", lines
    assert "No module named 'uvicorn_worker_missing'" in lines[-1]["error"], lines
    rc, lines = gate(project, "check", "shop.asgi:application", "0", "0", "json.NoSuchClass")
    assert rc == 1 and lines[-1]["failed"] == "worker" and "NoSuchClass" in lines[-1]["error"], lines
    for worker in ("sync", "", "json.JSONDecoder"):
        rc, lines = gate(project, "check", "shop.asgi:application", "0", "0", worker)
        assert rc == 0 and lines[-1]["failed"] == "", (worker, lines)


def test_finish_collects_readable_static_files_and_asks_each_smoke_path(project: Path) -> None:
    rc, lines = gate(project, "finish", "shop.wsgi:application", "1", "shop.example.test", "/", "/missing")
    assert rc == 0, lines
    assert lines == [{"path": "/", "status": 200, "error": ""}, {"path": "/missing", "status": 404, "error": ""},
                     {"failed": "", "error": ""}]
    css = project / "collected" / "site.css"
    assert stat.S_IMODE(css.stat().st_mode) == 0o644
    assert stat.S_IMODE((project / "collected" / "admin").stat().st_mode) == 0o755


def test_a_smoke_path_that_answers_500_names_the_projects_line(project: Path) -> None:
    rc, lines = gate(project, "finish", "shop.wsgi:application", "0", "shop.example.test", "/", "/boom")
    assert rc == 1
    assert lines[0] == {"path": "/", "status": 200, "error": ""}
    assert lines[1]["path"] == "/boom" and lines[1]["status"] == 500
    assert lines[1]["error"].startswith("KeyError: 'missing' (at ") and "urls.py" in lines[1]["error"]
    assert lines[-1] == {"failed": "smoke", "error": ""}


def test_an_unknown_host_is_refused_as_nginx_would_see_it(project: Path) -> None:
    rc, lines = gate(project, "finish", "shop.wsgi:application", "0", "other.example.test", "/")
    assert (rc, lines[0]["status"]) == (0, 400)


def test_a_collectstatic_that_fails_says_so(project: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the static root should be\n")
    environment = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    script = f"from shop.settings import *\nSTATIC_ROOT = {str(blocked)!r}\n"
    (project / "shop" / "blocked_settings.py").write_text(script)
    done = subprocess.run([sys.executable, "-c", GATE, "finish", "shop.wsgi:application", "1", "shop.example.test"],
                          cwd=project, capture_output=True, text=True, check=False,
                          env={**environment, "DJANGO_SETTINGS_MODULE": "shop.blocked_settings"})
    said = json.loads(done.stdout.splitlines()[-1])
    assert done.returncode == 1
    assert said["failed"] == "collectstatic" and "blocked" in said["error"], said


def test_usage_is_said_when_the_arguments_are_wrong(project: Path) -> None:
    done = subprocess.run([sys.executable, "-c", GATE, "check", "shop.wsgi:application"], cwd=project,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and done.stderr.startswith("usage: gate.py")
