# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""restic_snapshot chooses the snapshot a restore takes from what `restic snapshots --json` prints."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.restic_snapshot import restic_snapshot


def snapshot(short: str, time: str, host: str = "db", tags: tuple = ("shop", "database")) -> dict:
    """A snapshot as restic 0.14 to 0.18 print it (nanoseconds, an offset)."""
    return {"id": short + "0" * 56, "short_id": short, "time": time, "hostname": host, "tags": list(tags),
            "paths": ["/var/backups/postgresql"], "tree": "f" * 64}


SNAPSHOTS = [
    snapshot("aaaa1111", "2026-12-03T03:45:01.123456789+01:00"),
    snapshot("bbbb2222", "2026-12-04T03:45:02.5+01:00"),
    snapshot("cccc3333", "2026-12-04T23:59:59.999999999Z", host="web1", tags=("shop", "media")),
    snapshot("dddd4444", "2026-12-05T03:45:00+01:00"),
    snapshot("dddd5555", "2026-12-05T09:00:00Z", host="db2"),
]


@pytest.mark.parametrize(
    ("at", "tag", "host", "expected"),
    [
        ("latest", "", "", "dddd5555"),
        ("latest", "database", "db", "dddd4444"),
        ("latest", "media", "", "cccc3333"),
        ("bbbb2222", "", "", "bbbb2222"),
        ("bbbb2222" + "0" * 8, "", "", "bbbb2222"),
        ("2026-12-04", "database", "", "bbbb2222"),
        ("2026-12-04", "", "", "cccc3333"),
        ("2026-12-05 02:45", "database", "", "dddd4444"),
        ("2026-12-05T02:44:59+00:00", "database", "", "bbbb2222"),
        ("2026-12-05T03:44:59+01:00", "", "db", "bbbb2222"),
        ("", "", "", "dddd5555"),
    ],
    ids=["latest", "latest of a tag and host", "latest media", "short id", "longer id", "a day", "a day, any tag",
         "a time in UTC, to the second", "a second before", "a time with its zone", "empty is latest"],
)
def test_the_snapshot_chosen(at: str, tag: str, host: str, expected: str) -> None:
    assert restic_snapshot(SNAPSHOTS, at=at, tag=tag, host=host)["short_id"] == expected


def test_the_order_restic_prints_does_not_matter() -> None:
    assert restic_snapshot(list(reversed(SNAPSHOTS)), tag="database", host="db")["short_id"] == "dddd4444"


@pytest.mark.parametrize(
    ("at", "tag", "message"),
    [
        ("2026-12-01", "",
         "no snapshot taken at or before 2026-12-01T23:59:59.999999+00:00. The newest there are: "
         "dddd5555 2026-12-05T09:00:00 db2 [shop,database]"),
        ("latest", "nothing", "no snapshot at all of tag nothing. The newest there are: none"),
        ("dddd", "", "is not latest, a snapshot id"),
        ("dddd0000", "", "no snapshot named dddd0000"),
        ("yesterday", "", "is not latest, a snapshot id, a time"),
    ],
    ids=["before the first", "no such tag", "too short an id", "no such id", "not a time"],
)
def test_what_cannot_be_chosen_is_refused_listing_what_there_is(at: str, tag: str, message: str) -> None:
    with pytest.raises(AnsibleFilterError, match=None) as error:
        restic_snapshot(SNAPSHOTS, at=at, tag=tag)
    assert message in str(error.value)


def test_an_ambiguous_id_start_asks_for_more() -> None:
    twins = [snapshot("eeee1111", "2026-12-05T01:00:00Z"), snapshot("eeee1112", "2026-12-05T02:00:00Z")]
    twins[0]["id"] = "eeee1111" + "a" * 56
    twins[1]["id"] = "eeee1111" + "b" * 56
    with pytest.raises(AnsibleFilterError, match="2 start with it, give more of the id"):
        restic_snapshot(twins, at="eeee1111")


@pytest.mark.parametrize("value", [None, "[]", [{"id": "x"}], {"id": "x", "time": "t"}])
def test_anything_but_restics_list_is_refused(value: object) -> None:
    with pytest.raises(AnsibleFilterError, match="takes the list `restic snapshots --json` prints"):
        restic_snapshot(value)
