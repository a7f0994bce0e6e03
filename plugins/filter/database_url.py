# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.database_url filter: a DATABASE_URL from its parts."""

from __future__ import annotations

DOCUMENTATION = r"""
name: database_url
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: A C(DATABASE_URL) from its parts, as dj-database-url and django-environ read it
description:
  - Writes C(postgres://USER:PASSWORD@HOST:PORT/NAME?sslmode=MODE), every part percent-encoded with nothing
    left as it is, so that a password of any characters (C(@), C(:), C(/), C(+), C(%), a space) reads back
    whole with dj-database-url (C(unquote)) and django-environ (C(unquote_plus)) alike.
  - An IPv6 address is put in brackets. A host that is a directory (a unix socket's) goes in the query
    (C(?host=/var/run/postgresql)), which both pass to libpq as they pass C(sslmode).
options:
  _input:
    description: The parts.
    type: dict
    required: true
    suboptions:
      name:
        description: The database.
        type: str
        required: true
      user:
        description: The role.
        type: str
        required: true
      password:
        description: Its password; empty for none.
        type: str
      host:
        description: A host name, an address, or a socket directory.
        type: str
        required: true
      port:
        description: The port.
        type: int
      sslmode:
        description: libpq's C(sslmode); empty for none.
        type: str
  scheme:
    description: The URL's scheme.
    type: str
    default: postgres
"""

EXAMPLES = r"""
- name: Write the app's DATABASE_URL
  ansible.builtin.copy:
    content: >-
      DATABASE_URL={{ {'name': 'shop', 'user': 'shop', 'password': db_password, 'host': '10.0.0.5', 'port': 5432,
      'sslmode': 'require'} | webstack.django.database_url | webstack.django.env_value }}
    dest: /srv/shop/shared/env.database
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: The URL.
  type: str
"""

import ipaddress
from urllib.parse import quote

from ansible.errors import AnsibleFilterError


def _part(parts: dict, key: str, required: bool = False) -> str:
    value = parts.get(key)
    if value is None or value == "":
        if required:
            raise AnsibleFilterError(f"database_url: {key} is required")
        return ""
    if isinstance(value, (dict, list, bool)):
        raise AnsibleFilterError(f"database_url: {key} must be a string, got {type(value).__name__}")
    text = str(value)
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise AnsibleFilterError(f"database_url: {key} holds a control character")
    return text


def _host(host: str) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]"
    except ValueError:
        pass
    return "" if host.startswith("/") else quote(host, safe="")


def database_url(parts: object, scheme: str = "postgres") -> str:
    if not isinstance(parts, dict):
        raise AnsibleFilterError(f"database_url: expects a mapping of its parts, got {type(parts).__name__}")
    name = _part(parts, "name", required=True)
    user = _part(parts, "user", required=True)
    password = _part(parts, "password")
    host = _part(parts, "host", required=True)
    port = _part(parts, "port")
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise AnsibleFilterError(f"database_url: port {port!r} is not a port number")
    sslmode = _part(parts, "sslmode")
    credentials = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    query = [f"host={quote(host, safe='/')}"] if host.startswith("/") else []
    query += [f"sslmode={quote(sslmode, safe='')}"] if sslmode else []
    url = f"{scheme}://{credentials}@{_host(host)}{':' + port if port else ''}/{quote(name, safe='')}"
    return url + ("?" + "&".join(query) if query else "")


class FilterModule:
    def filters(self) -> dict:
        return {"database_url": database_url}
