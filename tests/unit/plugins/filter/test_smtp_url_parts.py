# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The smtp_url_parts filter splits an EMAIL_URL as django-environ reads it, never showing it in an error."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.webstack.django.plugins.filter.smtp_url_parts import smtp_url_parts


@pytest.mark.parametrize(
    ("url", "parts"),
    [
        ("smtp://relay.example.test", {"host": "relay.example.test", "port": 25, "username": "", "password": "", "tls": "none"}),
        (
            "smtp+tls://alerts%40example.test:p%40ss%3Aword@smtp.example.test:2587",
            {
                "host": "smtp.example.test",
                "port": 2587,
                "username": "alerts@example.test",
                "password": "p@ss:word",
                "tls": "starttls",
            },
        ),
        (
            "submission://u:p@mail.example.test",
            {"host": "mail.example.test", "port": 587, "username": "u", "password": "p", "tls": "starttls"},
        ),
        (
            "smtps://u:p@mail.example.test",
            {"host": "mail.example.test", "port": 465, "username": "u", "password": "p", "tls": "tls"},
        ),
        (
            "smtp+ssl://u@[2001:db8::25]:1465",
            {"host": "2001:db8::25", "port": 1465, "username": "u", "password": "", "tls": "tls"},
        ),
    ],
)
def test_splits_the_url(url: str, parts: dict) -> None:
    assert smtp_url_parts(url) == parts


def test_refuses_what_is_not_one_without_showing_it() -> None:
    with pytest.raises(AnsibleFilterError) as raised:
        smtp_url_parts("http://user:s3cret-value@relay.example.test")
    assert "s3cret-value" not in str(raised.value)
    assert "not an SMTP URL" in str(raised.value)
