# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.smtp_url_parts filter: an SMTP URL (EMAIL_URL) in the parts a mail client's settings take."""

from __future__ import annotations

DOCUMENTATION = r"""
name: smtp_url_parts
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The host, port, login and TLS mode of an SMTP URL as django-environ reads EMAIL_URL
description:
  - Splits C(scheme://[user[:password]@]host[:port]) as django-environ and dj-email-url read C(EMAIL_URL), so that a
    program with its own mail settings (Alertmanager) sends through the same relay as the app.
  - C(smtp) is plain SMTP on port 25; C(smtp+tls) and C(submission) STARTTLS on 587; C(smtp+ssl) and C(smtps) TLS
    from the first byte on 465. The user and password are percent-decoded.
  - The error never shows the URL (it holds a password).
options:
  _input:
    description: The SMTP URL.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say where mail goes
  ansible.builtin.debug:
    msg: "{{ (webstack_email_url | webstack.django.smtp_url_parts).host }}"
"""

RETURN = r"""
_value:
  description: C(host), C(port) (a number), C(username), C(password) (empty when the URL has none) and C(tls) -
    C(starttls), C(tls) or C(none).
  type: dict
"""

from urllib.parse import unquote

from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.plugin_utils.validate import smtp_url

_MODES = {
    "smtp": ("none", 25),
    "smtp+tls": ("starttls", 587),
    "submission": ("starttls", 587),
    "smtp+ssl": ("tls", 465),
    "smtps": ("tls", 465),
}


def smtp_url_parts(value: object) -> dict:
    if (why := smtp_url(value)) is not None:
        raise AnsibleFilterError(f"smtp_url_parts: the URL (not shown) {why}")
    scheme, _sep, rest = str(value).partition("://")
    credentials, _at, authority = rest.rpartition("@")
    authority = authority.partition("?")[0].rstrip("/")
    username, _colon, password = credentials.partition(":")
    if authority.startswith("["):
        host, _bracket, port = authority[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _colon, port = authority.partition(":")
    tls, default_port = _MODES[scheme]
    return {
        "host": host,
        "port": int(port) if port else default_port,
        "username": unquote(username),
        "password": unquote(password),
        "tls": tls,
    }


class FilterModule:
    def filters(self) -> dict:
        return {"smtp_url_parts": smtp_url_parts}
