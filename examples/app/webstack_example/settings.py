"""Settings for the example app.

Everything that differs between a laptop and a server comes from the
environment (on a server: the env file the release role writes, read by the
gunicorn unit), so that `manage.py check --deploy --fail-level WARNING` passes
there with nothing edited here.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

# Uploads in a bucket when the environment names one, else on disk: the drop-in's function
# (webstack_settings.py, for projects that read nothing from the environment).
from .webstack_settings import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"environment variable {name} is not set")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"environment variable {name}={value!r} is not a boolean")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def secret_key() -> str:
    # A key file (kept on the host, readable by the app's group) wins over a
    # key in the environment; DEBUG runs may fall back to a throwaway key.
    path = os.environ.get("DJANGO_SECRET_KEY_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    if "DJANGO_SECRET_KEY" in os.environ:
        return os.environ["DJANGO_SECRET_KEY"]
    if DEBUG:
        return "insecure-development-key-" + "x" * 40
    raise ImproperlyConfigured("set DJANGO_SECRET_KEY_FILE or DJANGO_SECRET_KEY")


DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "notes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webstack_example.urls"
WSGI_APPLICATION = "webstack_example.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# PostgreSQL from DATABASE_URL (the release role writes it); SQLite only for a
# DEBUG run on a laptop.
if "DATABASE_URL" in os.environ or not DEBUG:
    DATABASES = {
        "default": dj_database_url.parse(
            env("DATABASE_URL"), conn_max_age=int(env("DJANGO_DB_CONN_MAX_AGE", "60")), conn_health_checks=True
        )
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, where the site has it (the release role writes CACHE_URL and
# CELERY_BROKER_URL): the cache, and the broker of the Celery worker that
# counts each note's words. Without a broker (a laptop, a site without Redis)
# a task runs in the web process, when the request's transaction commits.
if os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("CACHE_URL")}}
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = "memory://" if CELERY_TASK_ALWAYS_EAGER else env("CELERY_BROKER_URL")
# A job is acknowledged once done, not when a worker takes it: a worker killed
# mid-job (SIGKILL, the host lost) leaves it to be redone. The broker hands an
# unacknowledged job out again after the visibility timeout, which must be
# longer than the longest job.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis's transport looks for such jobs every 10 s (kombu's unacked_restore_interval) but
# scans only every tenth look by default; a scan is one ZRANGE, so every look scans.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files get content-hashed names (site.3f2a….css) so the web server can
# cache them forever. Each release has its own static root: the release role
# gives manage.py the release's, and the app server current/static, where the
# running code finds its manifest (staticfiles.json).
STATIC_URL = env("DJANGO_STATIC_URL", "/static/")
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", str(BASE_DIR / "static")))
MEDIA_URL = env("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))


STORAGES = {
    "default": media_storage(),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        ),
        # Public files: readable by the web server, unlike uploads (below).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Behind nginx: the proxy terminates TLS and says so in X-Forwarded-Proto;
# gunicorn listens only on a unix socket that only nginx can open.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = False
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "0" if DEBUG else "63072000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Checks an operator has decided to accept, e.g. "security.W021" while HSTS
# preload is not wanted.
SILENCED_SYSTEM_CHECKS = env_list("DJANGO_SILENCED_SYSTEM_CHECKS")

# The release this code belongs to: the REVISION file the release role writes.
REVISION_FILE = BASE_DIR / "REVISION"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", "INFO")},
}
