# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The check_host filter reads the name HAProxy's checks ask for from the configuration the haproxy role wrote."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.check_host import check_host

TEMPLATE = Path(__file__).parents[4] / "roles" / "haproxy" / "templates" / "haproxy.cfg.j2"

CONFIG = """\
backend web_shop
    option httpchk
    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host store.example.test hdr X-Forwarded-Proto https
    http-check expect status 200
"""


def test_reads_the_name_from_text_and_from_slurp() -> None:
    assert check_host(CONFIG) == "store.example.test"
    slurped = {"content": base64.b64encode(CONFIG.encode()).decode(), "encoding": "base64"}
    assert check_host(slurped) == "store.example.test"


def test_the_template_still_writes_the_line_it_reads() -> None:
    assert "http-check send meth GET uri" in TEMPLATE.read_text() and " hdr Host {{" in TEMPLATE.read_text()


@pytest.mark.parametrize("config", [None, {"failed": True, "msg": "file not found"}, "global\n    daemon\n"])
def test_none_without_a_configuration_or_a_check(config: object) -> None:
    assert check_host(config) is None


def test_refuses_what_is_no_file() -> None:
    with pytest.raises(AnsibleFilterError):
        check_host(["http-check"])
