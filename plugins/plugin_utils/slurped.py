# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""A file's text, from its text or from the result of ansible.builtin.slurp (the site_names and check_host filters)."""

from __future__ import annotations

import base64
import binascii

from ansible.errors import AnsibleFilterError


def slurped_text(site: object, name: str = "site_names") -> str | None:
    """A file's text from its text or from ansible.builtin.slurp's result; None for a result without content."""
    if site is None or isinstance(site, str):
        return site
    if not isinstance(site, dict):
        raise AnsibleFilterError(f"{name}: expects the file's text or a slurp result, got {type(site).__name__}")
    if "content" not in site:
        return None
    if site.get("encoding", "base64") != "base64":
        return str(site["content"])
    try:
        return base64.b64decode(site["content"], validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise AnsibleFilterError(f"{name}: the slurped content is not base64 text: {error}") from error
