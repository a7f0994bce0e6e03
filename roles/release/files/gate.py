"""The gate of a release, in two Django processes instead of five: run by tasks/prepare.yml, as the app server
runs the release (its user, its environment file, the release directory as working directory), as
`python -c "<this file>" check ...` and `python -c "<this file>" finish ...`.

check WSGI_APP DEPLOY_CHECKS MIGRATIONS
    Imports "module.path:callable" as the app server does (so that its DJANGO_SETTINGS_MODULE default holds) and
    fails unless it names a callable; runs Django's deployment checklist with warnings as errors (`check --deploy
    --fail-level WARNING`) when DEPLOY_CHECKS is 1; reads where the settings put the static and media files
    (STATIC_ROOT, MEDIA_ROOT, resolved); and, when MIGRATIONS is 1, whether migrations are unapplied
    (`migrate --check`).
finish WSGI_APP COLLECTSTATIC HOST PATH...
    Collects the static files when COLLECTSTATIC is 1 and makes them readable by the web server (whatever umask or
    FILE_UPLOAD_PERMISSIONS the project's storage used), then asks each smoke path through Django's request
    handler with that Host and https, as nginx asks, before the release takes any traffic.

Each prints one JSON line per smoke path ({"path", "status", "error"}: for a 500, the exception and the project's
own line it came through), then, last, one JSON object: "failed" names the step that failed ("" when none),
"error" says what it printed or raised, and `check` adds "roots" and "migrations" ("pending", "none" or "").
The exit status is 1 when a step failed.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import stat
import sys
import traceback


def last_words(text: str, limit: int = 3000) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def failed_here() -> str:
    """The exception being handled, its last line and the project's own line it came through."""
    frames = [frame for frame in traceback.extract_tb(sys.exc_info()[2]) if "-packages/" not in frame.filename]
    where = f" (at {frames[-1].filename}:{frames[-1].lineno}, in {frames[-1].name})" if frames else ""
    return traceback.format_exc().strip().splitlines()[-1] + where


def wsgi_application(target: str) -> object:
    """Imports "module.path:callable" (or "module.path:factory()") as gunicorn does."""
    module, name = target.partition(":")[::2]
    app = getattr(importlib.import_module(module), (name or "application").removesuffix("()"))
    app = app() if name.endswith("()") else app
    if not callable(app):
        raise TypeError(f"{target} is not a callable")
    return app


def django_ready() -> None:
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def report(result: dict) -> int:
    print(json.dumps(result))
    return 1 if result["failed"] else 0


def worker_class(target: str) -> None:
    """Imports gunicorn's worker class "package.module.Class" (uvicorn's, for an ASGI app) as gunicorn does."""
    module, name = target.rsplit(".", 1)
    getattr(importlib.import_module(module), name)


def check(target: str, deploy_checks: str, migrations: str, worker: str = "") -> int:
    result: dict = {"failed": "", "error": "", "roots": {}, "migrations": ""}
    if "." in worker:
        try:
            worker_class(worker)
        except BaseException:  # noqa: BLE001 - an ImportError, or whatever the package raises
            return report({**result, "failed": "worker", "error": last_words(traceback.format_exc())})
    try:
        wsgi_application(target)
        django_ready()
    except BaseException:  # noqa: BLE001 - whatever the project raises, or its SystemExit, is the answer
        return report({**result, "failed": "import", "error": last_words(traceback.format_exc())})
    from django.conf import settings
    from django.core.management import call_command

    if deploy_checks == "1":
        said = io.StringIO()
        try:
            with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
                call_command("check", deploy=True, fail_level="WARNING")
        except BaseException as error:  # noqa: BLE001 - SystemCheckError, or the URLconf's own import error
            words = str(error) if error.__class__.__name__ == "SystemCheckError" else traceback.format_exc()
            return report({**result, "failed": "check --deploy", "error": last_words(said.getvalue() + "\n" + words)})
    result["roots"] = {
        key: os.path.realpath(str(getattr(settings, key, "") or "")) if getattr(settings, key, "") else ""
        for key in ("STATIC_ROOT", "MEDIA_ROOT")
    }
    if migrations == "1":
        try:
            call_command("migrate", check_unapplied=True, interactive=False, verbosity=0)
            result["migrations"] = "none"
        except SystemExit as error:
            if error.code != 1:
                raise
            result["migrations"] = "pending"
        except BaseException:  # noqa: BLE001 - the database refused, or the migrations conflict
            return report({**result, "failed": "migrate --check", "error": last_words(traceback.format_exc())})
    return report(result)


def readable(root: str) -> None:
    """u=rwX,g=rX,o=rX below root, as `chmod -R` would give it."""
    for folder, _subfolders, files in os.walk(root):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode):
                os.chmod(path, 0o755 if mode & stat.S_IXUSR else 0o644)


def finish(target: str, collect: str, host: str, *paths: str) -> int:
    result: dict = {"failed": "", "error": ""}
    try:
        wsgi_application(target)
        django_ready()
    except BaseException:  # noqa: BLE001
        return report({**result, "failed": "import", "error": last_words(traceback.format_exc())})
    from django.conf import settings
    from django.core.management import call_command

    if collect == "1":
        said = io.StringIO()
        try:
            with contextlib.redirect_stdout(said):
                call_command("collectstatic", interactive=False, verbosity=0)
            if getattr(settings, "STATIC_ROOT", None) and os.path.isdir(settings.STATIC_ROOT):
                readable(str(settings.STATIC_ROOT))
        except BaseException:  # noqa: BLE001
            return report({**result, "failed": "collectstatic",
                           "error": last_words(said.getvalue() + "\n" + traceback.format_exc())})
    if paths:
        from django.core.signals import got_request_exception
        from django.test import Client

        errors: list[str] = []
        got_request_exception.connect(lambda sender, request=None, **kw: errors.append(failed_here()), weak=False)
        client = Client(raise_request_exception=False, HTTP_HOST=host, HTTP_X_FORWARDED_PROTO="https")
        answers = []
        for path in paths:
            try:
                status = client.get(path, secure=True).status_code
            except BaseException:  # noqa: BLE001 - the test client itself failed: as a 500
                errors.append(failed_here())
                status = 500
            answers.append({"path": path, "status": status, "error": errors.pop() if errors else ""})
        for answer in answers:
            print(json.dumps(answer))
        if any(answer["status"] >= 500 for answer in answers):
            result["failed"] = "smoke"
    return report(result)


def main(argv: list[str]) -> int:
    commands = {"check": (check, 3), "finish": (finish, 3)}
    if len(argv) < 1 or argv[0] not in commands or len(argv) - 1 < commands[argv[0]][1]:
        sys.stderr.write("usage: gate.py check WSGI_APP DEPLOY_CHECKS MIGRATIONS [WORKER_CLASS] | "
                         "gate.py finish WSGI_APP COLLECTSTATIC HOST [PATH...]\n")
        return 2
    return commands[argv[0]][0](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
