# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The webstack.django.restic_snapshot filter: the snapshot a restore takes, from restic's list of snapshots."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: restic_snapshot
author: webstack.django maintainers (@webstack)
version_added: 0.3.0
short_description: The restic snapshot a restore takes - the newest at or before a time, or one named by its id
description:
  - Takes what C(restic snapshots --json) prints and gives the one snapshot to restore - of the tag and host asked
    for, the newest taken at or before O(at).
  - O(at) is C(latest); a snapshot's id, or the start of one (8 hexadecimal digits or more, as C(restic snapshots)
    shows them); a time - C(2026-12-05T10:30:00+01:00), C(2026-12-05 10:30) (UTC) - or a day, C(2026-12-05), which
    means the newest snapshot of that day (UTC).
  - When none fits, the error lists the newest snapshots there are, so that the next try can name one.
options:
  _input:
    description: The snapshots, as C(restic snapshots --json) prints them.
    type: list
    elements: dict
    required: true
  at:
    description: C(latest), a snapshot id (or its start), a time or a day.
    type: str
    default: latest
  tag:
    description: Only snapshots with this tag (C(database), C(media)); empty, any.
    type: str
    default: ""
  host:
    description: Only snapshots of this host (restic's C(hostname)); empty, any.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Choose the database snapshot of yesterday evening
  ansible.builtin.set_fact:
    __snapshot: "{{ __restic_list.stdout | from_json | webstack.django.restic_snapshot(at='2026-12-04 18:00', tag='database') }}"
"""

RETURN = r"""
_value:
  description: The snapshot, as restic lists it (C(id), C(short_id), C(time), C(hostname), C(tags), C(paths)).
  type: dict
"""

_ID = re.compile(r"[0-9a-f]{8,64}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# restic writes nanoseconds; Python reads up to microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _time(text: str) -> datetime:
    """An ISO 8601 time, as restic writes it or a user types it; UTC when it names no zone."""
    value = _FRACTION.sub(r"\1", text.strip().replace("Z", "+00:00"))
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _shown(snapshot: dict) -> str:
    return (f"{snapshot.get('short_id') or str(snapshot.get('id', ''))[:8]} {snapshot.get('time', '?')[:19]} "
            f"{snapshot.get('hostname', '?')} [{','.join(snapshot.get('tags') or [])}]")


def restic_snapshot(snapshots: object, at: object = "latest", tag: str = "", host: str = "") -> dict:
    if not isinstance(snapshots, list) or not all(isinstance(item, dict) and "id" in item and "time" in item
                                                  for item in snapshots):
        raise AnsibleFilterError("restic_snapshot takes the list `restic snapshots --json` prints")
    at = str(at if at is not None else "latest").strip() or "latest"
    kept = [item for item in snapshots
            if (not tag or tag in (item.get("tags") or [])) and (not host or item.get("hostname") == host)]
    kept.sort(key=lambda item: _time(item["time"]), reverse=True)
    what = " ".join(part for part in (f"tag {tag}" if tag else "", f"host {host}" if host else "") if part)

    def refuse(why: str) -> AnsibleFilterError:
        there = "; ".join(_shown(item) for item in kept[:10]) or "none"
        return AnsibleFilterError(f"no snapshot {why}{' of ' + what if what else ''}. The newest there are: {there}")

    if at == "latest":
        if not kept:
            raise refuse("at all")
        return kept[0]
    if _ID.fullmatch(at):
        named = [item for item in kept if str(item["id"]).startswith(at)]
        if len(named) > 1:
            raise refuse(f"named {at} alone: {len(named)} start with it, give more of the id")
        if named:
            return named[0]
        if not _DAY.fullmatch(at):
            raise refuse(f"named {at}")
    try:
        # A day is its last moment: the newest snapshot of that day.
        limit = (_time(at) + timedelta(days=1, microseconds=-1)) if _DAY.fullmatch(at) else _time(at)
    except ValueError:
        raise AnsibleFilterError(f"restic_snapshot: at={at!r} is not latest, a snapshot id, a time such as "
                                 "2026-12-05T10:30:00+01:00 or 2026-12-05 10:30 (UTC), or a day such as 2026-12-05") from None
    for item in kept:
        if _time(item["time"]) <= limit:
            return item
    raise refuse(f"taken at or before {limit.isoformat()}")


class FilterModule:
    def filters(self) -> dict:
        return {"restic_snapshot": restic_snapshot}
