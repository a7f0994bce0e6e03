# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""examples/app/webstack_example/webstack_settings.py, the drop-in for a project that reads nothing from the
environment, reads the environment the release role writes back whole, and changes nothing where it is not there."""

from __future__ import annotations

import importlib.util
import string
from pathlib import Path
from types import ModuleType

import pytest
from ansible_collections.webstack.django.plugins.filter.database_url import database_url

DROP_IN = Path(__file__).resolve().parents[3] / "examples" / "app" / "webstack_example" / "webstack_settings.py"

PASSWORDS = ["plain", string.punctuation, "p@ss:w/rd?#[]+ %2B%", "$\"'\\`{#{{% é end"]
# As the release role generates one: 64 letters and digits.
KEY = "Xq7vN2pL9sK4mR8tW1yB6cF3hJ5dG0zA" * 2
HOSTS = ["localhost", "10.0.0.5", "db.example.com", "fd00::5", "/var/run/postgresql"]


def load(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> ModuleType:
    for name in ("DATABASE_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_SECURE_HSTS_SECONDS",
                 "DJANGO_AWS_STORAGE_BUCKET_NAME", "DJANGO_AWS_S3_ENDPOINT_URL", "DJANGO_AWS_S3_REGION_NAME",
                 "EMAIL_URL", "DJANGO_DEFAULT_FROM_EMAIL", "DJANGO_SERVER_EMAIL", "SENTRY_DSN", "DJANGO_SETTINGS_MODULE",
                 "DJANGO_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("webstack_settings", DROP_IN)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def environment(password: str = "secret", host: str = "localhost") -> dict[str, str]:
    """The names and values of the release role's env file with its defaults (README: "What your project needs")."""
    return {
        "DATABASE_URL": database_url({"name": "shop", "user": "shop", "password": password, "host": host,
                                      "port": 5432, "sslmode": "verify-full"}),
        "DJANGO_SECRET_KEY": KEY,
        "DJANGO_DEBUG": "False",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com,www.shop.example.com",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://shop.example.com",
        "DJANGO_STATIC_ROOT": "/srv/shop/current/static",
        "DJANGO_MEDIA_ROOT": "/srv/shop/shared/media",
        "DJANGO_SECURE_SSL_REDIRECT": "True",
        "DJANGO_SESSION_COOKIE_SECURE": "True",
        "DJANGO_CSRF_COOKIE_SECURE": "True",
        "DJANGO_SECURE_HSTS_SECONDS": "31536000",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
        "DJANGO_SECURE_HSTS_PRELOAD": "False",
        "DJANGO_SILENCED_SYSTEM_CHECKS": "security.W021",
    }


@pytest.mark.parametrize("password", PASSWORDS)
@pytest.mark.parametrize("host", HOSTS)
def test_the_database_reads_back_whole(monkeypatch: pytest.MonkeyPatch, password: str, host: str) -> None:
    db = load(monkeypatch, environment(password, host)).DATABASES["default"]
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql", "shop", "shop", password, host, "5432")
    assert db["OPTIONS"] == {"sslmode": "verify-full"}


def test_production_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, environment())
    assert settings.SECRET_KEY == KEY
    assert settings.DEBUG is False
    assert settings.ALLOWED_HOSTS == ["shop.example.com", "www.shop.example.com"]
    assert settings.CSRF_TRUSTED_ORIGINS == ["https://shop.example.com"]
    assert (settings.STATIC_ROOT, settings.MEDIA_ROOT) == ("/srv/shop/current/static", "/srv/shop/shared/media")
    assert settings.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage")
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings.SECURE_SSL_REDIRECT and settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS == 31536000
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is True and settings.SECURE_HSTS_PRELOAD is False
    assert settings.SILENCED_SYSTEM_CHECKS == ["security.W021"]
    # `from .webstack_settings import *` takes exactly these names, all upper case (settings).
    assert settings.__all__ and all(name.isupper() and hasattr(settings, name) for name in settings.__all__)


def test_uploads_go_to_disk_unless_a_bucket_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, environment())
    assert settings.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_uploads_go_to_the_bucket_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "$\"'\\`{#{{% é end"
    settings = load(monkeypatch, {**environment(), "DJANGO_AWS_STORAGE_BUCKET_NAME": "shop-media",
                                  "DJANGO_AWS_ACCESS_KEY_ID": "shop", "DJANGO_AWS_SECRET_ACCESS_KEY": secret,
                                  "DJANGO_AWS_S3_ENDPOINT_URL": "https://objects.example.com"})
    default = settings.STORAGES["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"] == {"bucket_name": "shop-media", "access_key": "shop", "secret_key": secret,
                                  "endpoint_url": "https://objects.example.com", "default_acl": None,
                                  "querystring_auth": True, "file_overwrite": False,
                                  "signature_version": "s3v4"}


def test_debug_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load(monkeypatch, dict(environment(), DJANGO_DEBUG="True")).DEBUG is True


def test_without_the_environment_it_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, {})
    assert settings.__all__ == []
    assert not hasattr(settings, "DATABASES") and not hasattr(settings, "DEBUG")


def test_a_plain_startproject_passes_the_deployment_checks_with_one_line(tmp_path: Path) -> None:
    """django-admin startproject, the drop-in beside its settings and one line at their end: check --deploy
    --fail-level WARNING passes (what the release role's gate runs), and the project still runs without the
    environment (on a laptop)."""
    pytest.importorskip("django")
    import os
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", str(tmp_path)], check=True)
    package = tmp_path / "mysite"
    (package / "webstack_settings.py").write_text(DROP_IN.read_text())
    with (package / "settings.py").open("a") as settings:
        settings.write("\nfrom .webstack_settings import *  # noqa: E402,F403\n")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    deploy = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=tmp_path, capture_output=True, text=True, check=False,
                            env=dict(clean, **environment()))
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    laptop = subprocess.run([sys.executable, "manage.py", "check"], cwd=tmp_path, capture_output=True, text=True,
                            check=False, env=clean)
    assert laptop.returncode == 0, laptop.stdout + laptop.stderr
    assert "DEBUG = True" in (package / "settings.py").read_text()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://localhost", ("localhost", 25, "", "", False, False)),
        ("smtp+tls://shop%40example.com:p%40ss%2Fw%3Frd%23@smtp.example.com:2587",
         ("smtp.example.com", 2587, "shop@example.com", "p@ss/w?rd#", True, False)),
        ("submission://u:p@mail.example.com", ("mail.example.com", 587, "u", "p", True, False)),
        ("smtps://u:p@mail.example.com", ("mail.example.com", 587, "u", "p", True, False)),
        ("smtp+ssl://u:p@mail.example.com", ("mail.example.com", 465, "u", "p", False, True)),
    ],
    ids=["plain", "starttls, encoded", "submission", "smtps as django-environ reads it", "tls from the start"],
)
def test_the_mail_relay_reads_back_whole(monkeypatch: pytest.MonkeyPatch, url: str, expected: tuple) -> None:
    settings = load(monkeypatch, dict(environment(), EMAIL_URL=url, DJANGO_DEFAULT_FROM_EMAIL="shop@example.com"))
    assert (settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD,
            settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL) == expected
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    assert settings.DEFAULT_FROM_EMAIL == settings.SERVER_EMAIL == "shop@example.com"
    assert {"EMAIL_HOST", "EMAIL_HOST_PASSWORD", "DEFAULT_FROM_EMAIL", "SERVER_EMAIL"} <= set(settings.__all__)


def test_without_a_relay_no_mail_setting_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load(monkeypatch, environment())
    assert not [name for name in settings.__all__ if name.startswith("EMAIL_") or name.endswith("_EMAIL")]


def test_errors_reach_stderr_with_their_traceback(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    """Django's own defaults print a 500's traceback nowhere once DEBUG is off; the drop-in's LOGGING sends it to
    stderr, which systemd keeps in the journal."""
    import logging
    import logging.config

    settings = load(monkeypatch, environment())
    assert "LOGGING" in settings.__all__
    logging.config.dictConfig(settings.LOGGING)
    try:
        raise RuntimeError("broken home page")
    except RuntimeError:
        logging.getLogger("django.request").exception("Internal Server Error: /")
    logging.getLogger("django.request").debug("not shown at INFO")
    err = capfd.readouterr().err
    assert "ERROR django.request: Internal Server Error: /" in err
    assert "Traceback (most recent call last)" in err and "RuntimeError: broken home page" in err
    assert "not shown" not in err


def test_a_logging_of_the_projects_own_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drop-in is imported at the end of the project's settings: what they set so far is theirs."""
    import sys
    from types import ModuleType

    project = ModuleType("mysite_settings_under_test")
    project.LOGGING = {"version": 1}
    monkeypatch.setitem(sys.modules, project.__name__, project)
    settings = load(monkeypatch, dict(environment(), DJANGO_SETTINGS_MODULE=project.__name__))
    assert "LOGGING" not in settings.__all__


def test_an_error_tracker_without_its_sdk_says_what_to_add(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("django")
    import builtins

    from django.core.exceptions import ImproperlyConfigured

    real_import = builtins.__import__

    def no_sentry(name: str, *args: object, **kwargs: object) -> object:
        if name == "sentry_sdk":
            raise ImportError("No module named 'sentry_sdk'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sentry)
    with pytest.raises(ImproperlyConfigured, match="add sentry-sdk to the project's requirements"):
        load(monkeypatch, dict(environment(), SENTRY_DSN="https://k@o1.ingest.sentry.io/2"))
