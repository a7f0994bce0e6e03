# Copyright: webstack.django maintainers
# MIT License (see LICENSE)
"""The collection's validators, shared by its test and filter plugins.

Each validator takes one value and returns None when the value is good, or a
short phrase that says what is wrong with it ("is not an IP address"). The
``problems`` function checks many named values at once and returns one message
per bad value, each naming the variable, for the preflights to print.

Kinds are names from ``KINDS``; a kind may be wrapped:

- ``kind?``        the empty string (or None) is accepted too;
- ``list:kind``    a list whose every element is of that kind;
- ``keys:kind``    a mapping whose every key is of that kind;
- ``values:kind``  a mapping whose every value is of that kind;
- ``secret:kind``  a value of that kind whose messages never show it (a password,
  a URL with one in it): "its value (not shown) is not ...".
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import posixpath
import re
import struct
from collections.abc import Callable, Mapping

# Longest value accepted in a free-text option.
MAX_TEXT = 4096

# C0 control characters and DEL: none of them belongs in a configuration value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_LOGIN = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_SQL_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9._%+-]{1,64}")
_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")
_TIMEZONE = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+){0,2}")
_PATH_CHARS = re.compile(r"/[A-Za-z0-9._/@+-]*")
_URL_PREFIX = re.compile(r"/([A-Za-z0-9._~-]+/)*")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PYTHON_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PYTHON_DOTTED = re.compile(rf"{_PYTHON_NAME}(\.{_PYTHON_NAME})*")
_WSGI = re.compile(rf"{_PYTHON_NAME}(\.{_PYTHON_NAME})*(:{_PYTHON_NAME}(\(\))?)?")
_UNIT_NAME = re.compile(r"[A-Za-z0-9:_.\\-]+(@[A-Za-z0-9:_.\\-]*)?")
_FILE_MODE = re.compile(r"0?[0-7]{3}")
_SIZE = re.compile(r"[0-9]+[kKmMgG]?")
_F2B_UNITS = ("seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|h|days|day|d|weeks|week|w"
              "|months|month|mo|years|year|y")
_F2B_TIME = re.compile(rf"-1|([0-9]+(\.[0-9]+)?\s*({_F2B_UNITS})?\s*)+")
_SYSCTL_KEY = re.compile(r"[a-z0-9_]+(\.[A-Za-z0-9_*-]+)+")
_CALENDAR_CHARS = re.compile(r"[A-Za-z0-9 *:,./~+-]+")
_RATE = re.compile(r"[1-9][0-9]*/(second|minute|hour|day)")
_S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

# What each target file's syntax cannot carry inside a value, beyond control
# characters (refused everywhere).
_UNSAFE_FOR: dict[str, str] = {
    # Any line-based file (sshd_config, sysctl.d, login.defs, fail2ban's ini).
    "line": "",
    # A string in apt.conf: double-quoted, with no escapes.
    "apt": '"\\',
    # A comment in nftables: double-quoted, with no escapes.
    "nft": '"\\',
    # A value inside an nginx double-quoted string, where $ starts a variable.
    "nginx": '"\\$',
    # A word in sshd_config: no quotes, no comment character.
    "sshd": "\"'#",
    # A word in haproxy.cfg: no space, quote, comment or escape character.
    "haproxy": " \"'#\\",
}


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "empty (null)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple | set):
        return "a list"
    return type(value).__name__


def _not_text(value: object) -> str | None:
    """Why a value that should be a string is not one (YAML 1.1 surprises included)."""
    if isinstance(value, str):
        return None
    if isinstance(value, bool):
        return "is a boolean, not text (YAML reads unquoted yes/no/on/off/true/false as booleans): quote it"
    return f"is {_type_name(value)}, not text"


def _matching(pattern: str | re.Pattern[str], message: str, doc: str) -> Callable[[object], str | None]:
    """A validator of text that must match pattern whole, saying message when it does not."""
    compiled = re.compile(pattern)

    def check_match(value: object) -> str | None:
        if (why := _not_text(value)) is not None:
            return why
        return None if compiled.fullmatch(value) else message

    check_match.__doc__ = doc
    return check_match


def text(value: object, syntax: str = "line") -> str | None:
    """A string with no control character (newline, NUL, ...), short enough, and nothing
    that the target file's syntax cannot carry (see _UNSAFE_FOR)."""
    if (why := _not_text(value)) is not None:
        return why
    if syntax not in _UNSAFE_FOR:
        raise ValueError(f"unknown syntax {syntax!r}; known: {', '.join(sorted(_UNSAFE_FOR))}")
    if _CONTROL.search(value):
        return "contains a control character (newline, tab, NUL, ...)"
    if len(value) > MAX_TEXT:
        return f"is {len(value)} characters long (at most {MAX_TEXT})"
    bad = sorted({char for char in value if char in _UNSAFE_FOR[syntax]})
    if bad:
        return f"contains {' '.join(bad)}, which the {syntax} file cannot carry in this value"
    return None


def ip_address(value: object) -> str | None:
    """An IPv4 or IPv6 address, with no prefix length."""
    if (why := _not_text(value)) is not None:
        return why
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return "is not an IP address"
    return None


def private_address(value: object) -> str | None:
    """An IP address on loopback or a private network (RFC 1918, ULA): never one the Internet reaches."""
    if (why := ip_address(value)) is not None:
        return why
    address = ipaddress.ip_address(value)
    if not (address.is_loopback or address.is_private):
        return "is a public address (give 127.0.0.1 or an address of a private network)"
    return None


def ip_network(value: object) -> str | None:
    """An IP address or a network in CIDR form, with no host bits set."""
    if (why := _not_text(value)) is not None:
        return why
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        if "host bits set" in str(error):
            network = ipaddress.ip_network(value, strict=False)
            return f"has host bits set (the network is {network})"
        return "is not an IP address or a CIDR network"
    return None


def _labels(value: str) -> tuple[list[str] | None, str | None]:
    """The ASCII (IDNA) labels of a host name, or why there are none."""
    if not value or len(value) > 253:
        return None, "is not a host name (1 to 253 characters)"
    if value.endswith("."):
        return None, "ends with a dot"
    try:
        ascii_name = value.encode("idna").decode("ascii") if not value.isascii() else value
    except UnicodeError:
        return None, "is not a valid internationalised host name"
    labels = ascii_name.lower().split(".")
    for label in labels:
        if not _LABEL.fullmatch(label):
            return None, f"has a label {label!r} that is not 1 to 63 letters, digits or inner hyphens"
    return labels, None


def hostname(value: object) -> str | None:
    """A host name (RFC 1123 labels; international names through IDNA)."""
    if (why := _not_text(value)) is not None:
        return why
    labels, why = _labels(value)
    if why:
        return why
    if labels[-1].isdigit():
        return "looks like an address, not a host name"
    return None


def domain(value: object) -> str | None:
    """A fully qualified domain name: a host name with at least two labels."""
    if (why := hostname(value)) is not None:
        return why
    if "." not in value:
        return "is not a fully qualified domain name (it has no dot)"
    return None


def allowed_host(value: object) -> str | None:
    """A Django ALLOWED_HOSTS entry: a domain, optionally with a leading dot (subdomains)."""
    if isinstance(value, str) and value.startswith("."):
        value = value[1:]
    return domain(value)


def _http(value: object, what: str) -> tuple[str, str | None]:
    """What follows http(s):// in a value, or why it is not there."""
    if (why := _not_text(value)) is not None:
        return "", why
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in ("http", "https"):
        return "", f"is not {what}: it must begin with https:// (or http://)"
    return rest, None


def _port_after(colon: str, number: str) -> str | None:
    """Why the port after a host's colon is not one (None without a colon)."""
    if colon and port(number) is not None:
        return f"has a port {number!r} that is not 1 to 65535"
    return None


def origin(value: object) -> str | None:
    """A Django CSRF_TRUSTED_ORIGINS entry: http(s)://host[:port], the host a domain or *.domain."""
    rest, why = _http(value, "an origin")
    if why:
        return why
    host, colon, number = rest.partition(":")
    if why := _port_after(colon, number):
        return why
    if host.startswith("*."):
        host = host[2:]
    if domain(host) is not None:
        return "is not an origin such as https://shop.example.com or https://*.example.com (no path)"
    return None


def url(value: object) -> str | None:
    """An http(s) URL of a service: a scheme, a host (name or address) and perhaps a port and a path; no
    credentials, query or fragment (they have places of their own)."""
    rest, why = _http(value, "a URL")
    if why:
        return why
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        return "has credentials in it: keys and passwords have options of their own"
    if any(mark in rest for mark in "?#") or re.search(r"\s", rest):
        return "has a query, a fragment or a space (a URL such as https://s3.example.com or https://host:9000/path)"
    if authority.startswith("["):
        address, bracket, after = authority[1:].partition("]")
        if not bracket or ip_address(address) is not None:
            return "has an IPv6 address that is not one"
        colon, number = after[:1], after[1:]
    else:
        authority, colon, number = authority.partition(":")
        if host(authority) is not None:
            return "has a host that is not a host name or an IP address"
    if why := _port_after(colon, number):
        return why
    if slash and path and _URL_PREFIX.fullmatch("/" + path.rstrip("/") + "/") is None:
        return "has a path with characters a URL path does not take plainly"
    return None


# The schemes django-environ (smtp, smtp+tls, smtp+ssl) and dj-email-url (smtps, submission) read as SMTP.
SMTP_SCHEMES = ("smtp", "smtp+tls", "smtp+ssl", "smtps", "submission")


def _authority(authority: str) -> str | None:
    """Why host[:port] (a name, an address or [IPv6], perhaps a port) is not one."""
    if authority.startswith("["):
        address, bracket, after = authority[1:].partition("]")
        if not bracket or ip_address(address) is not None:
            return "has an IPv6 address that is not one"
        colon, number = after[:1], after[1:]
        if after and colon != ":":
            return "has something after its host that is not a port"
    else:
        authority, colon, number = authority.partition(":")
        if host(authority) is not None:
            return "has a host that is not a host name or an IP address"
    return _port_after(colon, number)


def smtp_url(value: object) -> str | None:
    """An SMTP relay as django-environ and dj-email-url read EMAIL_URL: smtp, smtp+tls, smtp+ssl, smtps or
    submission://[user[:password]@]host[:port], the user and password percent-encoded. The messages never show
    the value: it holds a password."""
    if (why := _not_text(value)) is not None:
        return why
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in SMTP_SCHEMES:
        return f"is not an SMTP URL: it must begin with {', '.join(s + '://' for s in SMTP_SCHEMES)}"
    if re.search(r"\s", rest) or any(mark in rest for mark in "#"):
        return "has a space or a # in it (percent-encode them in the user and password: %20, %23)"
    credentials, at, authority = rest.rpartition("@")
    if at and ("/" in credentials or "?" in credentials):
        return "has a / or ? in its user or password (percent-encode them: %2F, %3F)"
    authority, _slash, path = authority.partition("?")[0].partition("/")
    if path:
        return "has a path: an SMTP URL is scheme://user:password@host:port"
    return _authority(authority)


def dsn(value: object) -> str | None:
    """An error tracker's DSN in Sentry's form (which GlitchTip and Bugsink take too):
    https://KEY@HOST[:PORT][/PATH]/PROJECT, the project a number. The messages never show the value."""
    rest, why = _http(value, "a DSN")
    if why:
        return why
    key, at, rest = rest.partition("@")
    if not at or not re.fullmatch(r"[A-Za-z0-9]+(:[A-Za-z0-9]+)?", key):
        return "has no key before its @ (https://KEY@HOST/PROJECT, as the tracker shows it)"
    authority, slash, path = rest.partition("/")
    if any(mark in rest for mark in "?#") or re.search(r"\s", rest):
        return "has a query, a fragment or a space"
    if not slash or not re.fullmatch(r"([A-Za-z0-9._~-]+/)*[0-9]+", path):
        return "does not end in a project number (https://KEY@HOST/PROJECT)"
    return _authority(authority)


def restic_repository(value: object) -> str | None:
    """A restic repository off the host: sftp:[USER@]HOST:/PATH (or sftp://[USER@]HOST[:PORT]//PATH),
    s3:https://HOST/BUCKET[/PREFIX] or rest:https://HOST[:PORT]/[PATH]. A local path is refused: a backup must not
    live on the host it protects. The messages never show the value (a REST URL may hold a password)."""
    if (why := _not_text(value)) is not None:
        return why
    if re.search(r"\s", value):
        return "has a space in it"
    kind, colon, rest = value.partition(":")
    if not colon or kind not in ("sftp", "s3", "rest"):
        return ("is not a restic repository off this host: sftp:USER@HOST:/PATH, s3:https://HOST/BUCKET or "
                "rest:https://HOST:8000/ (a local path would keep the backup on the host it protects)")
    if kind == "sftp":
        if rest.startswith("//"):
            authority, slash, path = rest[2:].partition("/")
            where = authority.rpartition("@")[2]
            return _authority(where) or (None if slash and path else "has no path after its host")
        where, colon, path = rest.partition(":")
        if not colon or not path:
            return "is not sftp:USER@HOST:/PATH (a host, a colon, then the path on it)"
        user, at, host_name = where.rpartition("@")
        if at and login_name(user) is not None:
            return "has a user that is not a login name"
        return None if host(host_name) is None else "has a host that is not a host name or an IP address"
    if kind == "s3":
        rest_of_url, why = _http(rest, "an S3 URL")
        if why:
            return "is not s3:https://HOST/BUCKET[/PREFIX]"
        authority, slash, path = rest_of_url.partition("/")
        if "@" in authority:
            return "has credentials in it: the keys have options of their own"
        bucket = path.split("/", 1)[0]
        if not slash or s3_bucket(bucket) is not None:
            return "does not name a bucket after its host (s3:https://HOST/BUCKET)"
        return _authority(authority)
    rest_of_url, why = _http(rest, "a REST server's URL")
    if why:
        return "is not rest:https://HOST[:PORT]/[PATH]"
    return _authority(rest_of_url.partition("/")[0].rpartition("@")[2])


def s3_bucket(value: object) -> str | None:
    """An S3 bucket name as every S3 service takes it: 3 to 63 lower-case letters, digits, dots and hyphens, a
    letter or digit at each end, no two dots together, not shaped as an IP address."""
    if (why := _not_text(value)) is not None:
        return why
    if not _S3_BUCKET.fullmatch(value) or ".." in value or ".-" in value or "-." in value:
        return "is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens, a letter or digit at each end)"
    if ip_address(value) is None:
        return "is shaped as an IP address, which a bucket name may not be"
    return None


login_name = _matching(
    _LOGIN,
    "is not a login name (lower-case letters, digits, _ and -, starting with a letter or _, at most 32)",
    "A Debian login or group name: lower case, starting with a letter or _, at most 32.",
)


sql_identifier = _matching(
    _SQL_IDENTIFIER,
    "is not a plain SQL identifier (lower-case letters, digits and _, starting with a letter or _, at most 63)",
    "A PostgreSQL identifier that needs no quoting: lower case, at most 63.",
)


def email(value: object) -> str | None:
    """An e-mail address with a plain local part and a domain."""
    if (why := _not_text(value)) is not None:
        return why
    local, at, host = value.rpartition("@")
    if not at or not _EMAIL_LOCAL.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        return "is not an e-mail address (name@example.com; letters, digits and . _ % + - before the @)"
    if domain(host) is not None:
        return f"is not an e-mail address: {host!r} is not a domain"
    return None


def port(value: object) -> str | None:
    """A TCP or UDP port, 1 to 65535."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return f"is {_type_name(value)}, not a port number"
    if isinstance(value, str) and not value.isdigit():
        return "is not a port number"
    if not 1 <= int(value) <= 65535:
        return "is not a port number (1 to 65535)"
    return None


def timezone(value: object) -> str | None:
    """The form of an IANA time zone name ("Europe/Paris"); the host's zoneinfo decides the rest."""
    if (why := _not_text(value)) is not None:
        return why
    if not _TIMEZONE.fullmatch(value) or ".." in value:
        return "is not a time zone name such as Europe/Paris"
    return None


def calendar(value: object) -> str | None:
    """The form of a systemd calendar expression; systemd-analyze calendar on the host decides the rest."""
    if (why := text(value)) is not None:
        return why
    if not value.strip() or not _CALENDAR_CHARS.fullmatch(value):
        return 'is not a systemd calendar expression (such as "daily" or "*-*-* 03:15:00")'
    return None


debian_package = _matching(
    _PACKAGE,
    "is not a Debian package name (lower-case letters, digits and + . -, at least two)",
    "A Debian package name (Debian Policy 5.6.1).",
)


def absolute_path(value: object) -> str | None:
    """An absolute, normalised path: no '..', '.', '//' or trailing slash, no space or quote."""
    if (why := _not_text(value)) is not None:
        return why
    if not _PATH_CHARS.fullmatch(value):
        return "is not an absolute path of letters, digits and . _ / @ + -"
    if value != "/" and (posixpath.normpath(value) != value or "//" in value):
        return f"is not a normalised path (write {'/' + posixpath.normpath(value).lstrip('/')!r})"
    if len(value) > 255:
        return "is longer than 255 characters"
    return None


def relative_path(value: object) -> str | None:
    """A path inside a directory: relative, normalised, never walking out with '..'."""
    if (why := _not_text(value)) is not None:
        return why
    if not value or value.startswith("/"):
        return "is not a relative path"
    if absolute_path("/" + value) is not None or value.split("/")[0] == "..":
        return "is not a normalised relative path of letters, digits and . _ / @ + -"
    return None


def url_prefix(value: object) -> str | None:
    """A URL path prefix that begins and ends with '/' and has no '.' or '..' segment."""
    if (why := _not_text(value)) is not None:
        return why
    if not _URL_PREFIX.fullmatch(value) or value == "/":
        return 'is not a URL prefix such as "/static/" (it must begin and end with /)'
    if any(segment in (".", "..") for segment in value.split("/")):
        return "has a . or .. segment"
    return None


def url_path(value: object) -> str | None:
    """A URL path that begins with '/' (a health or smoke path), with no query or '..'."""
    if (why := text(value)) is not None:
        return why
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", value):
        return 'is not a URL path such as "/healthz"'
    if any(segment in (".", "..") for segment in value.split("/")):
        return "has a . or .. segment"
    return None


env_name = _matching(
    _ENV_NAME,
    "is not an environment variable name (letters, digits and _, not starting with a digit)",
    "An environment variable name.",
)


def python_module(value: object) -> str | None:
    """A dotted Python module name ("mysite.settings")."""
    if (why := _not_text(value)) is not None:
        return why
    if not _PYTHON_DOTTED.fullmatch(value):
        return 'is not a dotted Python module name such as "mysite.settings"'
    return None


def wsgi_app(value: object) -> str | None:
    """A WSGI or ASGI callable as gunicorn takes it: "module.path:callable"."""
    if (why := _not_text(value)) is not None:
        return why
    if not _WSGI.fullmatch(value):
        return 'is not "module.path:callable", such as "mysite.wsgi:application"'
    return None


def unit_name(value: object) -> str | None:
    """A systemd unit name without its suffix."""
    if (why := _not_text(value)) is not None:
        return why
    if not _UNIT_NAME.fullmatch(value) or len(value) > 200:
        return "is not a systemd unit name (letters, digits and : _ . - @)"
    return None


def file_mode(value: object) -> str | None:
    """A quoted octal file mode such as "0660"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (f"is the number {value}, not a quoted mode: YAML reads an unquoted 0660 as the octal "
                f"number 432; write it in quotes, such as \"0660\"")
    if (why := _not_text(value)) is not None:
        return why
    if not _FILE_MODE.fullmatch(value):
        return 'is not an octal file mode such as "0660"'
    return None


def size(value: object) -> str | None:
    """An nginx size: a number with an optional k, m or g."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not _SIZE.fullmatch(str(value)):
        return 'is not a size such as "25m"'
    return None


def fail2ban_time(value: object) -> str | None:
    """A fail2ban time: seconds, or an abbreviation such as 10m, 1h, 1d 12h; -1 means forever."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if value > 0 or value == -1 else "is not a positive number of seconds (or -1)"
    if (why := text(value)) is not None:
        return why
    if not _F2B_TIME.fullmatch(value.strip()):
        return 'is not a fail2ban time such as "10m", "1h" or "1d"'
    return None


sysctl_key = _matching(
    _SYSCTL_KEY,
    'is not a dotted sysctl name such as "net.ipv4.tcp_syncookies"',
    "A dotted sysctl name such as net.ipv4.tcp_syncookies.",
)


def sysctl_value(value: object) -> str | None:
    """A sysctl value: a number or a line of text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    return text(value)


duration = _matching(
    r"[1-9][0-9]*(us|ms|s|m|h|d)?",
    'is not a time such as "1s", "500ms" or "2m" (a positive number, then us, ms, s, m, h or d)',
    "An HAProxy time: a positive number with an optional unit (us, ms, s, m, h, d).",
)

_PROMETHEUS_DURATION = re.compile(r"(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?")
_PROMETHEUS_UNITS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)


def prometheus_seconds(value: object) -> float | None:
    """The seconds of a Prometheus duration ("30s", "5m", "1h30m", "2w"), or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    match = _PROMETHEUS_DURATION.fullmatch(value)
    if match is None or not any(match.groups()):
        return None
    return sum(int(count) * unit for count, unit in zip(match.groups(), _PROMETHEUS_UNITS, strict=True) if count)


def prometheus_duration(value: object) -> str | None:
    """A Prometheus duration: numbers with units from the largest down, y w d h m s ms ("30s", "5m", "1h30m")."""
    if (why := _not_text(value)) is not None:
        return why
    if prometheus_seconds(value) is None:
        return 'is not a Prometheus duration such as "30s", "5m" or "1h30m" (units y, w, d, h, m, s, ms, largest first)'
    return None


interface_name = _matching(
    r"[A-Za-z0-9_.:@-]{1,15}",
    "is not a network interface name (at most 15 letters, digits and _ . : @ -)",
    "A Linux network interface name such as eth0 or ens3.",
)

region = _matching(
    re.compile(r"[a-z0-9][a-z0-9-]{0,62}"),
    'is not a region name such as "eu-west-1" or "fr-par" (lower-case letters, digits and hyphens)',
    "A region of an object store, such as eu-west-1.",
)


rate = _matching(
    _RATE,
    'is not a rate such as "10/minute" (a positive count per second, minute, hour or day)',
    "A rate such as 10/minute.",
)


_KEY_TYPES = {
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
}


def _ssh_fields(blob: bytes) -> list[bytes] | None:
    """The length-prefixed fields of an SSH key blob, or None when it is cut or padded."""
    fields, offset = [], 0
    while offset < len(blob):
        if offset + 4 > len(blob):
            return None
        (length,) = struct.unpack(">I", blob[offset:offset + 4])
        offset += 4
        if offset + length > len(blob):
            return None
        fields.append(blob[offset:offset + length])
        offset += length
    return fields


def ssh_public_key(value: object) -> str | None:
    """An OpenSSH public key line, "type base64 [comment]", whose key data is whole."""
    if (why := text(value)) is not None:
        return why
    parts = value.split(None, 2)
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        return f"is not an OpenSSH public key line (\"ssh-ed25519 AAAA... comment\"; types: {', '.join(sorted(_KEY_TYPES))})"
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        return "has key data that is not base64"
    fields = _ssh_fields(blob)
    if not fields or fields[0] != parts[0].encode():
        return "has key data that is cut short or does not match its type"
    expected = {"ssh-ed25519": 2, "ssh-rsa": 3, "sk-ssh-ed25519@openssh.com": 3}.get(parts[0], 3)
    if len(fields) != expected:
        return "has key data that is cut short or does not match its type"
    if parts[0] == "ssh-ed25519" and len(fields[1]) != 32:
        return "has an ed25519 key that is not 32 bytes long"
    if parts[0] == "ssh-rsa" and len(fields[2]) * 8 < 2040:
        return "has an RSA key shorter than 2048 bits"
    return None


def _integer(value: object) -> int | None:
    """An int, or a string of digits (the form argument specs leave); never a boolean."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _bounded(low: int, high: int | None = None) -> Callable[[object], str | None]:
    def check_bounds(value: object) -> str | None:
        number = _integer(value)
        if number is None:
            return f"is {_type_name(value)}, not a whole number" if not isinstance(value, str) else "is not a whole number"
        if number < low or (high is not None and number > high):
            return f"is not between {low} and {high}" if high is not None else f"is less than {low}"
        return None

    check_bounds.__doc__ = f"A whole number from {low}" + (f" to {high}." if high is not None else " up.")
    return check_bounds


clock_time = _matching(
    r"([01][0-9]|2[0-3]):[0-5][0-9]",
    'is not a time of day such as "03:30" (HH:MM)',
    "A time of day, HH:MM.",
)


ssh_algorithm = _matching(
    r"[a-z0-9][a-z0-9@.+_-]{1,100}",
    "is not an OpenSSH algorithm name",
    "An OpenSSH algorithm name, such as curve25519-sha256 or aes256-gcm@openssh.com.",
)


version = _matching(
    r"[0-9]+(\.[0-9]+){1,3}",
    "is not an exact version such as 0.13.8",
    "An exact version number such as 0.13.8.",
)


kernel_module = _matching(
    r"[A-Za-z0-9_-]{1,64}",
    "is not a kernel module name (letters, digits, _ and -)",
    "A kernel module name.",
)


def host(value: object) -> str | None:
    """A host name or an IP address."""
    if isinstance(value, str) and ip_address(value) is None:
        return None
    if hostname(value) is not None:
        return "is not a host name or an IP address"
    return None


def passphrase(value: object) -> str | None:
    """A password that guards data: a line of text of at least 12 characters."""
    why = text(value)
    if why is not None:
        return why
    return None if len(str(value)) >= 12 else "is shorter than 12 characters"


def multiline_text(value: object) -> str | None:
    """Text that may span lines, with no other control character."""
    if (why := _not_text(value)) is not None:
        return why
    if re.search(r"[\x00-\x09\x0b-\x1f\x7f]", value):
        return "contains a control character other than a newline (tab, NUL, ...)"
    if len(value) > MAX_TEXT:
        return f"is {len(value)} characters long (at most {MAX_TEXT})"
    return None


# Directories that belong to the system or to other software: a role never makes
# one of them (or anything below them) its own, nor chowns or fills it.
_SYSTEM_TREES = ("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/run", "/sbin",
                 "/sys", "/tmp", "/usr", "/var/cache", "/var/lib/apt", "/var/lib/dpkg", "/var/lib/postgresql",
                 "/var/lib/systemd", "/var/log", "/var/spool", "/var/tmp")
# Directories that hold others: a role may work below them, never on them.
_SHARED_DIRS = ("/", "/home", "/media", "/mnt", "/opt", "/root", "/srv", "/var", "/var/backups", "/var/lib", "/var/www")


def data_path(value: object) -> str | None:
    """A path a role may make its own: absolute, normalised, not a system directory or below one."""
    if (why := absolute_path(value)) is not None:
        return why
    if value in _SHARED_DIRS:
        return "is a directory that holds others' files; name one of the role's own below it"
    for tree in _SYSTEM_TREES:
        if value == tree or value.startswith(tree + "/"):
            return f"is in {tree}, which belongs to the system or to other software"
    return None


def _mapping(value: object, what: str, keys: tuple[str, ...]) -> str | None:
    """Why value is not a mapping of what (with keys among keys), or None."""
    if not isinstance(value, Mapping):
        return f"is {_type_name(value)}, not {what} {{{', '.join(keys[:2])}, ...}}"
    unknown = sorted(set(value) - set(keys))
    return f"has unknown keys {unknown} ({', '.join(keys)})" if unknown else None


def firewall_rule(value: object) -> str | None:
    """A firewall rule: {port, proto (tcp|udp|vrrp), sources (IP networks), comment}; vrrp (keepalived's
    adverts, IP protocol 112) has no port."""
    if (why := _mapping(value, "a rule", ("port", "proto", "sources", "comment"))) is not None:
        return why
    proto = value.get("proto", "tcp")
    if proto == "vrrp":
        found = [] if value.get("port") is None else ["port is given, but vrrp has no ports"]
    else:
        found = [f"port {problem}" for problem in check("port", value.get("port"))]
    if proto not in ("tcp", "udp", "vrrp"):
        found.append(f"proto {_shown(value.get('proto'))} is not tcp, udp or vrrp")
    found += [f"sources{problem}" for problem in check("list:ip_network", value.get("sources", []))]
    comment = value.get("comment", "")
    found += [f"comment {problem}" for problem in check("text_nft?", comment)]
    if isinstance(comment, str) and len(comment.encode()) > 128:
        found.append("comment is longer than the 128 bytes nftables takes")
    return "; ".join(found) or None


def lb_backend(value: object) -> str | None:
    """A balancer's backend: {name (an HAProxy server name), address (an IP address)}."""
    if (why := _mapping(value, "a backend", ("name", "address"))) is not None:
        return why
    name = value.get("name")
    found = []
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}", name):
        found.append(f"name {_shown(name)} is not a server name (letters, digits and _ . : -)")
    found += [f"address {problem}" for problem in check("ip_address", value.get("address"))]
    return "; ".join(found) or None


def admin_user(value: object) -> str | None:
    """An entry of base_admin_users: {name, ssh_keys, sudo, password_hash, password, shell, state}."""
    if not isinstance(value, Mapping):
        return f"is {_type_name(value)}, not a user {{name, ssh_keys, ...}}"
    found = [f"name {problem}" for problem in check("login_name", value.get("name"))]
    if value.get("name") == "root":
        found.append("name may not be root")
    found += [f"ssh_keys{problem}" for problem in check("list:ssh_public_key", value.get("ssh_keys", []))]
    found += [f"shell {problem}" for problem in check("absolute_path?", value.get("shell"))]
    password_hash = value.get("password_hash")
    crypt_hash = re.compile(r"\$(y|gy|7|2b|6|5)\$[./A-Za-z0-9$]+")
    if password_hash is not None and not (isinstance(password_hash, str) and crypt_hash.fullmatch(password_hash)):
        found.append('password_hash is not a crypt hash such as "$6$..." or "$y$..."')
    if "password" in value and password_hash is not None:
        found.append("gives both password and password_hash")
    return "; ".join(found) or None


process_name = _matching(
    r"[a-z][a-z0-9-]{0,30}",
    "is not a process name (lower-case letters, digits and -, at most 31, starting with a letter)",
    "The name of one of the app's processes or scheduled jobs, the last part of its systemd unit's name.",
)

group_name = _matching(
    r"[A-Za-z_][A-Za-z0-9_]{0,63}",
    "is not an inventory group's name (letters, digits and _, at most 64, not starting with a digit)",
    "The name of an inventory group, as Ansible takes it without a warning.",
)

_STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2")


def process(value: object) -> str | None:
    """An entry of webstack_processes: {command, count, group, one_host, stop_signal, stop_timeout}."""
    keys = ("command", "count", "group", "one_host", "stop_signal", "stop_timeout")
    if (why := _mapping(value, "a process", keys)) is not None:
        return why
    found = [f"command {problem}" for problem in check("text", value.get("command"))]
    if isinstance(value.get("command"), str) and not value["command"].strip():
        found.append("command is empty")
    found += [f"count {problem}" for problem in check("count", value.get("count", 1))]
    found += [f"stop_timeout {problem}" for problem in check("positive", value.get("stop_timeout", 60))]
    found += [f"group {problem}" for problem in check("group_name", value.get("group", "webservers"))]
    if not isinstance(value.get("one_host", False), bool):
        found.append("one_host is not true or false")
    if str(value.get("stop_signal", "SIGTERM")).upper() not in _STOP_SIGNALS:
        found.append(f"stop_signal is not one of {', '.join(_STOP_SIGNALS)}")
    return "; ".join(found) or None


def timer(value: object) -> str | None:
    """An entry of webstack_timers: {command (a management command and its arguments), on_calendar, group, timeout}."""
    if (why := _mapping(value, "a scheduled job", ("command", "on_calendar", "group", "timeout"))) is not None:
        return why
    command = value.get("command")
    words = command.split() if isinstance(command, str) else command
    if not words or not isinstance(words, list):
        found = ["command is not a management command (a string, or a list of its arguments)"]
    else:
        found = [f"command{problem}" for problem in check("list:text", words)]
    found += [f"on_calendar {problem}" for problem in check("calendar", value.get("on_calendar"))]
    found += [f"timeout {problem}" for problem in check("positive", value.get("timeout", 3600))]
    found += [f"group {problem}" for problem in check("group_name", value.get("group", "webservers"))]
    return "; ".join(found) or None


KINDS: dict[str, Callable[[object], str | None]] = {
    "absolute_path": absolute_path,
    "admin_user": admin_user,
    "clock_time": clock_time,
    "count": _bounded(0),
    "data_path": data_path,
    "firewall_rule": firewall_rule,
    "group_name": group_name,
    "host": host,
    "interface_name": interface_name,
    "kernel_module": kernel_module,
    "lb_backend": lb_backend,
    "private_address": private_address,
    "multiline_text": multiline_text,
    "passphrase": passphrase,
    "origin": origin,
    "percent": _bounded(0, 100),
    "positive": _bounded(1),
    "process": process,
    "process_name": process_name,
    "timer": timer,
    "ssh_algorithm": ssh_algorithm,
    "version": version,
    "allowed_host": allowed_host,
    "calendar": calendar,
    "debian_package": debian_package,
    "domain": domain,
    "duration": duration,
    "email": email,
    "env_name": env_name,
    "fail2ban_time": fail2ban_time,
    "file_mode": file_mode,
    "hostname": hostname,
    "ip_address": ip_address,
    "ip_network": ip_network,
    "login_name": login_name,
    "port": port,
    "prometheus_duration": prometheus_duration,
    "python_module": python_module,
    "rate": rate,
    "region": region,
    "relative_path": relative_path,
    "restic_repository": restic_repository,
    "s3_bucket": s3_bucket,
    "smtp_url": smtp_url,
    "dsn": dsn,
    "size": size,
    "sql_identifier": sql_identifier,
    "ssh_public_key": ssh_public_key,
    "sysctl_key": sysctl_key,
    "sysctl_value": sysctl_value,
    "timezone": timezone,
    "unit_name": unit_name,
    "url": url,
    "url_path": url_path,
    "url_prefix": url_prefix,
    "wsgi_app": wsgi_app,
}
KINDS.update({f"text_{syntax}" if syntax != "line" else "text": (lambda v, s=syntax: text(v, s)) for syntax in _UNSAFE_FOR})


def _shown(value: object) -> str:
    """A value as a message shows it: repr, cut to 80 characters."""
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def check(kind: str, value: object) -> list[str]:
    """Every problem of one value of a kind (see the module's docstring): phrases with
    the place inside the value ("[2] ...", "key 'x' ...") where it is a list or mapping."""
    if kind.endswith("?"):
        if value is None or value == "":
            return []
        kind = kind[:-1]
    wrapper, colon, inner = kind.partition(":")
    if not colon:
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        why = KINDS[kind](value)
        return [] if why is None else [f"{_shown(value)} {why}"]
    if wrapper == "list":
        if not isinstance(value, list | tuple):
            return [f"{_shown(value)} is {_type_name(value)}, not a list"]
        return [f"[{index}] {problem}" for index, item in enumerate(value) for problem in check(inner, item)]
    if wrapper == "secret":
        if inner not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        why = KINDS[inner](value)
        return [] if why is None else [f"its value (not shown) {why}"]
    if wrapper in ("keys", "values"):
        if not isinstance(value, Mapping):
            return [f"{_shown(value)} is {_type_name(value)}, not a mapping"]
        if wrapper == "keys":
            return [f"key {problem}" for key in value for problem in check(inner, key)]
        return [f"[{key!r}] {problem}" for key, item in value.items() for problem in check(inner, item)]
    raise ValueError(f"unknown kind {kind!r}")


def problems(checks: object, host: str | None = None) -> list[str]:
    """One message per bad value, naming the variable: checks is a list of
    [variable, kind, value] (or a mapping of variable to [kind, value])."""
    if isinstance(checks, Mapping):
        checks = [[name, *pair] for name, pair in checks.items()]
    if not isinstance(checks, list | tuple):
        raise ValueError("problems takes a list of [variable, kind, value]")
    found = []
    where = f"{host}: " if host else ""
    for entry in checks:
        if not isinstance(entry, list | tuple) or len(entry) != 3:
            raise ValueError(f"problems takes [variable, kind, value] entries, got {entry!r}")
        name, kind, value = entry
        found += [f"{where}{name}: {problem}" for problem in check(kind, value)]
    return found


def disagreements(contract: object, secret: object = ()) -> list[str]:
    """One message per shared value that the roles on a host do not agree on.

    contract maps each shared value (app_root, socket, ...) to the variables that
    hold it and their values, e.g. {"app_root": {"python_app_root": "/opt/shop",
    "gunicorn_app_root": "/srv/shop"}}; values of the keys in secret are never shown.
    """
    if not isinstance(contract, Mapping):
        raise ValueError("disagreements takes a mapping of shared value to {variable: value}")
    found = []
    for key, holders in contract.items():
        if not isinstance(holders, Mapping):
            raise ValueError(f"disagreements: {key!r} is not a mapping of variable to value")
        values = {name: str(value) for name, value in holders.items()}
        if len(set(values.values())) > 1:
            if key in secret:
                shown = " and ".join(sorted(values))
                found.append(f"{key}: {shown} differ; set webstack_{key} once instead")
            else:
                shown = ", ".join(f"{name} is {value!r}" for name, value in sorted(values.items()))
                found.append(f"{key}: the roles disagree ({shown}); set webstack_{key} once instead")
    return found
