# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""units: what systemctl is asked to do for each unit, from what it said about it."""

from __future__ import annotations

import pytest
from ansible_collections.webstack.django.plugins.modules import units

SHOW = """Id=ssh.service
LoadState=loaded
ActiveState=active
UnitFileState=enabled

Id=nope.service
LoadState=not-found
ActiveState=inactive
UnitFileState=

Id=redis-server.service
LoadState=masked
ActiveState=failed
UnitFileState=masked
"""


def status(file_state="enabled", active="active", load="loaded"):
    return {"LoadState": load, "ActiveState": active, "UnitFileState": file_state}


def test_names_get_the_service_suffix_only_when_they_have_none() -> None:
    assert units.unit_name("nginx") == "nginx.service"
    assert units.unit_name("certbot.timer") == "certbot.timer"
    assert units.unit_name("postgresql@15-main") == "postgresql@15-main.service"
    assert units.unit_name("redis-server@webstack-cache.service") == "redis-server@webstack-cache.service"
    assert units.unit_name("app-worker@1.service") == "app-worker@1.service"


def test_show_is_read_one_block_per_unit_in_order() -> None:
    blocks = units.parse_show(SHOW, 3)
    assert [block["Id"] for block in blocks] == ["ssh.service", "nope.service", "redis-server.service"]
    assert blocks[1]["UnitFileState"] == ""
    assert blocks[2]["LoadState"] == "masked"
    with pytest.raises(ValueError, match="3 units, not 4"):
        units.parse_show(SHOW, 4)


def test_a_unit_as_asked_needs_nothing() -> None:
    assert units.plan({"name": "ssh.service", "enabled": True, "state": "started"}, status()) == []
    assert units.plan({"name": "a.service", "enabled": False, "state": "stopped"}, status("disabled", "inactive")) == []
    # A static unit cannot be enabled, and is taken as enabled.
    assert units.plan({"name": "a.service", "enabled": True}, status("static", "inactive")) == []
    assert units.plan({"name": "a.service", "state": "started"}, status("disabled", "activating")) == []


def test_enable_then_start() -> None:
    assert units.plan({"name": "a.service", "enabled": True, "state": "started"}, status("disabled", "inactive")) == [
        "enable", "start"]
    assert units.plan({"name": "a.service", "enabled": True, "state": "started"}, status("disabled", "failed")) == [
        "enable", "start"]
    # Linked and indirect units are enabled again, as ansible.builtin.systemd_service does.
    assert units.plan({"name": "a.service", "enabled": True}, status("indirect")) == ["enable"]


def test_restart_and_reload_start_a_unit_that_does_not_run() -> None:
    assert units.plan({"name": "a.service", "state": "restarted"}, status()) == ["restart"]
    assert units.plan({"name": "a.service", "state": "reloaded"}, status()) == ["reload"]
    assert units.plan({"name": "a.service", "state": "reloaded"}, status(active="inactive")) == ["start"]


def test_stop_disable_and_mask() -> None:
    assert units.plan({"name": "a.service", "enabled": False, "state": "stopped", "masked": True}, status()) == [
        "disable", "mask", "stop"]
    assert units.plan({"name": "a.service", "state": "stopped"}, status(active="deactivating")) == ["stop"]
    masked = status("masked", "failed", "masked")
    assert units.plan({"name": "a.service", "enabled": False, "state": "stopped", "masked": True}, masked) == []
    assert units.plan({"name": "a.service", "masked": False, "enabled": True}, masked) == ["unmask", "enable"]


def test_an_unknown_unit_fails_unless_it_is_only_stopped_disabled_or_masked() -> None:
    gone = status("", "inactive", "not-found")
    assert units.missing({"name": "a.service", "enabled": True}, gone)
    assert units.missing({"name": "a.service", "state": "started"}, gone)
    assert units.missing({"name": "a.service", "masked": False}, gone)
    assert not units.missing({"name": "a.service", "state": "stopped", "enabled": False}, gone)
    assert not units.missing({"name": "a.service", "masked": True}, gone)
    assert not units.missing({"name": "a.service", "enabled": True}, status())
    assert units.plan({"name": "a.service", "state": "stopped", "enabled": False}, gone) == []
    assert units.plan({"name": "a.service", "state": "stopped", "masked": True}, gone) == ["mask"]


def test_the_diff_line_shows_the_state_after_the_actions() -> None:
    assert units.describe(status("disabled", "inactive")) == "disabled, inactive"
    assert units.describe(status("disabled", "inactive"), ["enable", "start"]) == "enabled, active"
    assert units.describe(status(), ["mask", "stop"]) == "masked, inactive"
