# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The duration_seconds filter reads Prometheus durations, and refuses what Prometheus would."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.duration_seconds import duration_seconds


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2w", 1209600), ("1y", 31536000), ("1d12h", 129600), ("0s", 0), ("1500ms", 1.5)],
)
def test_reads_a_duration(duration: str, seconds: float) -> None:
    assert duration_seconds(duration) == seconds


@pytest.mark.parametrize("duration", ["", "5", "5 m", "30m1h", "1.5h", "5min", "-5m", None, 300])
def test_refuses_what_is_not_one(duration: object) -> None:
    with pytest.raises(AnsibleFilterError, match="not a Prometheus duration|not text|is not a string|must be"):
        duration_seconds(duration)
