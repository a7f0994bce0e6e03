# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.database_url_parts filter: the parts of a DATABASE_URL."""

from __future__ import annotations

DOCUMENTATION = r"""
name: database_url_parts
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: The parts of a C(DATABASE_URL), as M(webstack.django.database_url) writes them
description:
  - Reads C(postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=MODE) back into its parts, percent-decoded (a socket
    directory given as C(?host=) is the host).
  - The release role reads with it the password the app serves with, to keep it while the database changes to
    a new one.
options:
  _input:
    description: The URL.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Note the password the app serves with
  ansible.builtin.set_fact:
    __serving_password: "{{ (env.DATABASE_URL | webstack.django.database_url_parts).password }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(name), C(user), C(password), C(host), C(port) (an int, or none) and C(sslmode); empty where absent.
  type: dict
"""

from urllib.parse import parse_qs, unquote, urlsplit

from ansible.errors import AnsibleFilterError


def database_url_parts(url: object) -> dict:
    if not isinstance(url, str):
        raise AnsibleFilterError(f"database_url_parts: expects a URL, got {type(url).__name__}")
    split = urlsplit(url)
    if not split.scheme or "@" not in split.netloc and not split.path.strip("/"):
        raise AnsibleFilterError("database_url_parts: not a database URL (scheme://user:password@host:port/name)")
    query = parse_qs(split.query)
    try:
        port = split.port
    except ValueError as error:
        raise AnsibleFilterError(f"database_url_parts: {error}") from error
    # The host as written: urlsplit lower-cases it and strips an IPv6 address's brackets.
    host = split.netloc.rpartition("@")[2]
    host = host.rpartition(":")[0] if port else host
    return {
        "name": unquote(split.path.lstrip("/")),
        "user": unquote(split.username or ""),
        "password": unquote(split.password or ""),
        "host": unquote(host.strip("[]")) or query.get("host", [""])[0],
        "port": port,
        "sslmode": query.get("sslmode", [""])[0],
    }


class FilterModule:
    def filters(self) -> dict:
        return {"database_url_parts": database_url_parts}
