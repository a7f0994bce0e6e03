"""The cluster's database as the tests read it: SQL on a database host, the password the web hosts serve with
(read back, and written as extra vars)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import webstack_test

ROOT = "/srv/shop"
DB = "webstack-cluster-db"


def sql(query: str, name: str = DB, database: str = "shop") -> str:
    """psql's unaligned, tuples-only answer to a query, as postgres on a database host (the primary by default)."""
    return webstack_test.host(name).check_output(f"runuser -u postgres -- psql -XAtq -d {database} -c \"{query}\"")


def secrets_file(tmp_path: Path, password: str) -> Path:
    """Extra vars with a database password, kept as a user keeps it in a vault: !unsafe, so that {# and {{
    stay characters. Every request opens its own database connection, so that one made with a password the
    database no longer has (or not yet) would fail."""
    path = tmp_path / "secrets.yml"
    quoted = password.replace("'", "''")
    path.write_text(f"webstack_db_password: !unsafe '{quoted}'\n"
                    "release_environment: {DJANGO_DB_CONN_MAX_AGE: '0', CELERY_VISIBILITY_TIMEOUT: '20'}\n",
                    encoding="utf-8")
    return path


def database_url(name: str) -> dict:
    """The parts of the DATABASE_URL a web host's app reads."""
    url = urlsplit(webstack_test.host(name).check_output(f"sh -c '. {ROOT}/shared/env; printf %s \"$DATABASE_URL\"'"))
    return {"host": url.hostname, "user": unquote(url.username or ""), "password": unquote(url.password or "")}


def served_password(name: str) -> str:
    return database_url(name)["password"]


def db_login(password: str) -> int:
    """psql's exit status logging in to the app's database as its role with the password (2: refused)."""
    return subprocess.run(["docker", "exec", f"--env=PGPASSWORD={password}", webstack_test.container(DB), "psql", "-XAtq",
                           "host=127.0.0.1 dbname=shop user=shop sslmode=require", "-c", "SELECT 1"],
                          capture_output=True, text=True, check=False).returncode
