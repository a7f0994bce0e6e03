"""Production settings from the environment webstack.django writes, for a project that reads none.

Copy this file (the example app carries it) next to your settings module and add one line at the end of it:

    from .webstack_settings import *  # noqa: E402,F403

Where the app's environment is there (DATABASE_URL is set: on the server, for the app
server and every manage.py command), it sets what production needs from it; elsewhere (your
laptop) it changes nothing. Python's standard library only: no requirement to add, unless
the site keeps uploads in a bucket (webstack_media_storage: s3), which takes
django-storages[s3] in your requirements. The names are those of the README's table
("What your project needs").
"""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qs, unquote, urlsplit

__all__: list[str] = []


def _project_sets(name: str) -> bool:
    """Whether the project's settings, which import this file at their end, set a name themselves (their module is
    being run: what it set so far is there)."""
    module = sys.modules.get(os.environ.get("DJANGO_SETTINGS_MODULE", ""))
    return module is not None and hasattr(module, name)


def email_settings(url: str) -> dict:
    """Django's SMTP settings from EMAIL_URL, as django-environ and dj-email-url read it: smtp (port 25), smtp+tls,
    smtps or submission (STARTTLS, port 587), smtp+ssl (TLS from the start, port 465); the user and password
    percent-encoded."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    tls, ssl = scheme in ("smtp+tls", "smtps", "submission"), scheme == "smtp+ssl"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if ssl else 587 if tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": tls,
        "EMAIL_USE_SSL": ssl,
        "EMAIL_TIMEOUT": 10,
    }


# Errors with their tracebacks, and warnings, on stderr, which systemd puts in the journal
# (the logs playbook reads it); DJANGO_LOG_LEVEL sets the level. Used where the project sets
# no LOGGING of its own.
DEFAULT_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own loggers (a 500's traceback is django.request's) to stderr, not to its
    # defaults: the console with DEBUG only, and mail to ADMINS.
    "loggers": {"django": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
                           "propagate": False}},
}


def media_storage() -> dict:
    """Uploads in the bucket the environment names (django-storages' S3 backend, with the names
    cookiecutter-django gives its settings), else on disk in MEDIA_ROOT. The example app's settings call it too."""
    if not os.environ.get("DJANGO_AWS_STORAGE_BUCKET_NAME"):
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    options = {
        "bucket_name": os.environ["DJANGO_AWS_STORAGE_BUCKET_NAME"],
        "access_key": os.environ["DJANGO_AWS_ACCESS_KEY_ID"],
        "secret_key": os.environ["DJANGO_AWS_SECRET_ACCESS_KEY"],
        # Private uploads: no ACL, signed URLs, no name overwritten.
        "default_acl": None,
        "querystring_auth": True,
        "file_overwrite": False,
        # Signature version 4, which every region and S3-compatible store takes.
        "signature_version": "s3v4",
    }
    for option, name in (("endpoint_url", "DJANGO_AWS_S3_ENDPOINT_URL"), ("region_name", "DJANGO_AWS_S3_REGION_NAME"),
                         ("custom_domain", "DJANGO_AWS_S3_CUSTOM_DOMAIN"),
                         ("addressing_style", "DJANGO_AWS_S3_ADDRESSING_STYLE")):
        if os.environ.get(name):
            options[option] = os.environ[name]
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


if os.environ.get("DATABASE_URL"):

    def _list(name: str) -> list[str]:
        return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]

    def _bool(name: str, default: str = "False") -> bool:
        return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}

    def _database(url: str) -> dict:
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            # A socket directory comes as ?host=/var/run/postgresql.
            "HOST": query.pop("host", unquote(parts.hostname or "")),
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": query,
        }

    SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
    DEBUG = _bool("DJANGO_DEBUG")
    ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS")
    CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS")
    DATABASES = {"default": _database(os.environ["DATABASE_URL"])}
    STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT")
    MEDIA_ROOT = os.environ.get("DJANGO_MEDIA_ROOT")
    # Hashed names, so that nginx can tell browsers to keep them for a year.
    STORAGES = {
        "default": media_storage(),
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    # nginx terminates TLS and says so in this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _bool("DJANGO_SECURE_SSL_REDIRECT", "True")
    SESSION_COOKIE_SECURE = _bool("DJANGO_SESSION_COOKIE_SECURE", "True")
    CSRF_COOKIE_SECURE = _bool("DJANGO_CSRF_COOKIE_SECURE", "True")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = _bool("DJANGO_SECURE_HSTS_PRELOAD")
    SILENCED_SYSTEM_CHECKS = _list("DJANGO_SILENCED_SYSTEM_CHECKS")
    __all__ = []

    if not _project_sets("LOGGING"):
        LOGGING = DEFAULT_LOGGING
        __all__ += ["LOGGING"]
    if os.environ.get("EMAIL_URL"):
        _email = email_settings(os.environ["EMAIL_URL"])
        globals().update(_email)
        __all__ += sorted(_email)
    if os.environ.get("DJANGO_DEFAULT_FROM_EMAIL"):
        DEFAULT_FROM_EMAIL = os.environ["DJANGO_DEFAULT_FROM_EMAIL"]
        SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)
        __all__ += ["DEFAULT_FROM_EMAIL", "SERVER_EMAIL"]
    if os.environ.get("SENTRY_DSN"):
        try:
            import sentry_sdk
        except ImportError as error:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("SENTRY_DSN is set (webstack_sentry_dsn): add sentry-sdk to the project's "
                                       "requirements") from error
        # Unless the project's settings started it themselves; the SDK reads SENTRY_DSN,
        # SENTRY_ENVIRONMENT and SENTRY_RELEASE from the environment, and finds Django.
        if not getattr(sentry_sdk, "is_initialized", lambda: False)():
            sentry_sdk.init(send_default_pii=False)

    __all__ += [
        "ALLOWED_HOSTS", "CSRF_COOKIE_SECURE", "CSRF_TRUSTED_ORIGINS", "DATABASES", "DEBUG", "MEDIA_ROOT",
        "SECRET_KEY", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "SILENCED_SYSTEM_CHECKS",
        "STATIC_ROOT", "STORAGES",
    ]
