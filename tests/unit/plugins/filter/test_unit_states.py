# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The unit_states filter: every unit started, a process whose template changed restarted."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.process_units import process_units
from ansible_collections.webstack.django.plugins.filter.unit_states import unit_states

GROUPS = {"webservers": ["web1", "web2"]}
UNITS = process_units({"worker": {"command": "celery -A shop worker", "count": 2}, "beat": {"command": "celery -A shop beat"}},
                      {"tally": {"command": "tally_notes", "on_calendar": "daily"}}, "web1", GROUPS, "shop")


def test_nothing_changed_starts_every_unit() -> None:
    states = unit_states(UNITS, [])
    assert [entry["name"] for entry in states] == [unit["unit"] for unit in UNITS]
    assert {entry["state"] for entry in states} == {"started"}
    assert all(entry["enabled"] is True for entry in states)


def test_a_changed_template_restarts_its_instances_only() -> None:
    states = {entry["name"]: entry["state"] for entry in unit_states(UNITS, ["/etc/systemd/system/shop-worker@.service"])}
    assert states["shop-worker@1.service"] == states["shop-worker@2.service"] == "restarted"
    assert states["shop-beat@1.service"] == "started"
    assert states["shop-tally.timer"] == "started"


def test_a_changed_timer_file_only_starts_the_timer() -> None:
    changed = ["/etc/systemd/system/shop-tally.timer", "/etc/systemd/system/shop-tally.service"]
    states = {entry["name"]: entry["state"] for entry in unit_states(UNITS, changed)}
    assert states["shop-tally.timer"] == "started"


def test_another_directory() -> None:
    states = unit_states(UNITS, ["/run/systemd/system/shop-worker@.service"], "/run/systemd/system")
    assert "restarted" in {entry["state"] for entry in states}


@pytest.mark.parametrize(("units", "changed"), [("x", []), (UNITS, "x")])
def test_not_lists_are_an_error(units: object, changed: object) -> None:
    with pytest.raises(AnsibleFilterError):
        unit_states(units, changed)
