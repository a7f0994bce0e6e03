# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.valid test: is a value of a kind (an IP network, a domain, ...)?"""

from __future__ import annotations

DOCUMENTATION = r"""
name: valid
author: webstack.django maintainers (@webstack)
version_added: 0.2.0
short_description: Whether a value is of a kind, such as an IP network, a domain or a login name
description:
  - Checks a value with the collection's validators, the same the roles' preflights use.
  - >-
    Kinds: absolute_path, admin_user (an entry of base_admin_users), allowed_host, calendar (its form; the host's
    systemd decides the rest), clock_time (HH:MM), count (a whole number from 0), data_path (a path a role may make
    its own, outside the system's directories), debian_package, domain, dsn (an error tracker's DSN), duration (an
    HAProxy time such as 1s), email, env_name, fail2ban_time, file_mode (a quoted octal mode), firewall_rule,
    group_name (an inventory group), host (a host name or an IP address), hostname (RFC 1123, IDNA), interface_name,
    ip_address, ip_network, kernel_module, lb_backend (a balancer's backend, {name, address}), login_name,
    multiline_text, origin (a CSRF trusted origin), passphrase (a line of 12 characters or more), percent, port,
    positive (a whole number from 1), private_address (loopback or a private network), prometheus_duration (30s, 1h30m),
    process (an entry of webstack_processes), process_name, python_module, rate, region (of an object store), relative_path,
    restic_repository (off the host), s3_bucket (a bucket name), size,
    smtp_url (an SMTP relay, as EMAIL_URL), sql_identifier, ssh_algorithm, ssh_public_key (its key data whole),
    sysctl_key, sysctl_value, text (no control character), text_apt, text_haproxy, text_nft, text_nginx, text_sshd
    (text that the file's syntax can carry), timer (an entry of webstack_timers), timezone (its form), unit_name,
    url (an http(s) service URL, no credentials or query), url_path, url_prefix, version (such as 0.13.8), wsgi_app.
  - A kind may end in C(?) to accept an empty value, or start with C(list:), C(keys:) or C(values:), or with
    C(secret:), whose messages never show the value.
options:
  _input:
    description: The value to check.
    type: raw
    required: true
  kind:
    description: The kind the value must be of.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check a network
  ansible.builtin.assert:
    that: "'10.0.0.0/24' is webstack.django.valid('ip_network')"

- name: Check every element of a list
  ansible.builtin.assert:
    that: base_firewall_ssh_sources is webstack.django.valid('list:ip_network')
"""

RETURN = r"""
_value:
  description: Whether the value is of the kind.
  type: boolean
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.plugin_utils import validate


def valid(value: object, kind: str) -> bool:
    try:
        return not validate.check(kind, value)
    except ValueError as error:
        raise AnsibleFilterError(str(error)) from error


class TestModule:
    def tests(self) -> dict:
        return {"valid": valid}
