# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.duration_seconds filter: the seconds of a Prometheus duration."""

from __future__ import annotations

DOCUMENTATION = r"""
name: duration_seconds
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The number of seconds in a Prometheus duration
description:
  - Reads a duration as Prometheus writes them - numbers with units from the largest down, C(y) C(w) C(d) C(h) C(m)
    C(s) C(ms) (C(30s), C(5m), C(1h30m)) - and gives its seconds.
  - The monitoring role renders its alerts' unit tests from the same durations as the alerts, and needs them as
    numbers to place each test's evaluation after the alert's C(for).
options:
  _input:
    description: The duration.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say how long a HostDown alert waits
  ansible.builtin.debug:
    msg: "{{ '1h30m' | webstack.django.duration_seconds }}"  # 5400
"""

RETURN = r"""
_value:
  description: The seconds (a whole number unless milliseconds are given).
  type: float
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.plugin_utils.validate import prometheus_duration, prometheus_seconds


def duration_seconds(value: object) -> int | float:
    seconds = prometheus_seconds(value)
    if seconds is None:
        raise AnsibleFilterError(f"duration_seconds: {value!r} {prometheus_duration(value)}")
    return int(seconds) if float(seconds).is_integer() else seconds


class FilterModule:
    def filters(self) -> dict:
        return {"duration_seconds": duration_seconds}
