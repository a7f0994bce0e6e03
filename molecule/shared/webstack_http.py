#!/usr/bin/env python3
"""HTTP to the app, run on a test host (standard library only).

Through gunicorn's unix socket by default; through nginx over TLS when
WEBSTACK_TLS=ADDRESS[,ADDRESS...] is set (SNI and Host from WEBSTACK_HOST, the
chain checked against WEBSTACK_CA when given; several addresses are taken in
turn, as a load balancer would).

  webstack_http.py get PATH               one request; prints {"status", "headers", "body"}
  webstack_http.py load STOPFILE [N]      N clients (default 4) request /version in a loop,
                                          a new connection each time (as nginx does), pausing
                                          WEBSTACK_LOAD_PAUSE seconds (default 0.1) between
                                          requests, until STOPFILE exists; prints the counts
                                          as JSON; with WEBSTACK_FOLLOW=1 a permanent redirect
                                          to https://NAME/version is followed on the same
                                          address (SNI and Host NAME), counted under "redirected"
  webstack_http.py upload TEXT FILENAME   posts a note with an attachment through the page's form
  webstack_http.py login PATH USER        logs in through the login form at PATH (Django's or Wagtail's
                                          admin) with the password in WEBSTACK_PASSWORD, then asks for
                                          the page it led to with the session; prints the statuses

WEBSTACK_LOAD_PATH sets the path the load asks for (default /version, whose JSON names the
revision; any other path is counted by status only). With WEBSTACK_LOAD_WRITE=1 each request
writes instead: a note posted through the page's form (a GET for the CSRF token, then the POST),
its text unique ("w-CLIENT-N"); the counts then list the notes whose POST was answered with the
redirect that follows a commit ("written"), and the seconds from the first failed write to the
last ("failing_seconds").
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter

SOCKET = os.environ.get("WEBSTACK_SOCKET", "/run/shop/gunicorn.sock")
HOST = os.environ.get("WEBSTACK_HOST", "shop.example.test")
TLS = [address for address in os.environ.get("WEBSTACK_TLS", "").split(",") if address]
CA = os.environ.get("WEBSTACK_CA", "")
FOLLOW = os.environ.get("WEBSTACK_FOLLOW") == "1"
# A bounded load: it leaves the host's CPU to the deploy it runs beside.
PAUSE = float(os.environ.get("WEBSTACK_LOAD_PAUSE", "0.1"))
LOAD_PATH = os.environ.get("WEBSTACK_LOAD_PATH", "/version")
WRITE = os.environ.get("WEBSTACK_LOAD_WRITE") == "1"
# nginx sets X-Forwarded-Proto itself; on the socket the client stands in for it.
HEADERS = {"Host": HOST} if TLS else {"Host": HOST, "X-Forwarded-Proto": "https"}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class TLSConnection(http.client.HTTPConnection):
    """TLS to an address, with SNI and certificate checks for a name (HOST)."""

    def __init__(self, address: str, name: str = HOST, timeout: float = 30.0) -> None:
        super().__init__(address, 443, timeout=timeout)
        self.name = name
        self.context = ssl.create_default_context(cafile=CA or None)

    def connect(self) -> None:
        raw = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=self.name)


def exchange(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
             address: str = "", name: str = HOST):
    """One request on a new connection: the status, the headers (every Set-Cookie kept) and the body."""
    conn = TLSConnection(address or TLS[0], name) if TLS else UnixConnection(SOCKET)
    try:
        conn.request(method, path, body=body, headers={**HEADERS, "Host": name, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def request(method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            address: str = "", name: str = HOST):
    status, message, content = exchange(method, path, body, headers, address, name)
    # Header names as the tests spell them: HAProxy sends them in lower case, nginx capitalised.
    return status, {key.title(): value for key, value in message.items()}, content


def get(path: str) -> None:
    status, headers, body = request("GET", path)
    print(json.dumps({"status": status, "headers": headers, "body": body.decode("utf-8", "replace")}))


def load(stopfile: str, clients: int = 4) -> None:
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    error_texts: dict[str, str] = {}
    revisions: Counter[str] = Counter()
    # Answers (2xx) per address, when there are several.
    answered: Counter[str] = Counter()
    # Answers by the host that served them, where /version names it.
    served_by: Counter[str] = Counter()
    # Redirects followed (WEBSTACK_FOLLOW), by the name they led to.
    redirected: Counter[str] = Counter()
    # The revisions answering first and last, and how often the answer changed.
    seen = {"first": "", "last": "", "switches": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + 900

    started_event = threading.Event()
    # Writes (WEBSTACK_LOAD_WRITE): the notes committed, and when writes failed.
    written: list[str] = []
    failed_at: list[float] = []

    def write(offset: int, turn: int, address: str) -> None:
        text = f"w-{offset}-{turn}"
        try:
            status = post_note(text, address)
        except Exception as exc:  # a failed connection is a failed write
            status = 0
            with lock:
                errors[type(exc).__name__] += 1
                error_texts.setdefault(type(exc).__name__, f"{address or SOCKET}: {exc}"[:300])
        started_event.set()
        with lock:
            if status:
                statuses[str(status)] += 1
            if status == 302:
                written.append(text)
            else:
                failed_at.append(time.monotonic())

    def client(offset: int) -> None:
        turn = offset
        while not os.path.exists(stopfile) and time.monotonic() < deadline:
            address = TLS[turn % len(TLS)] if TLS else ""
            turn += 1
            if WRITE:
                write(offset, turn, address)
                time.sleep(PAUSE)
                continue
            try:
                status, headers, body = request("GET", LOAD_PATH, address=address)
                if FOLLOW and status in (301, 308) and TLS:
                    target = urllib.parse.urlsplit(headers.get("Location", ""))
                    if target.scheme != "https" or target.path != LOAD_PATH or not target.hostname:
                        raise ValueError(f"redirect to {headers.get('Location')!r}")
                    status, _, body = request("GET", LOAD_PATH, address=address, name=target.hostname)
                    with lock:
                        redirected[target.hostname] += 1
                answer = json.loads(body) if status == 200 and LOAD_PATH == "/version" else {}
                revision = answer.get("revision", "?") if answer else None
                started_event.set()
                with lock:
                    statuses[str(status)] += 1
                    if status < 300 and len(TLS) > 1:
                        answered[address] += 1
                    if answer.get("host"):
                        served_by[answer["host"]] += 1
                    if revision:
                        revisions[revision] += 1
                        if seen["last"] and seen["last"] != revision:
                            seen["switches"] += 1
                        seen["first"] = seen["first"] or revision
                        seen["last"] = revision
            except Exception as exc:  # every failure is counted, none is retried
                with lock:
                    errors[type(exc).__name__] += 1
                    # What the first failure of each kind said, and to which name and address.
                    error_texts.setdefault(type(exc).__name__, f"{address or SOCKET}: {exc}"[:300])
            time.sleep(PAUSE)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    # Tell the caller the load is running (the first answer has come back).
    started_event.wait(60)
    print("started", file=sys.stderr, flush=True)
    for thread in threads:
        thread.join()
    print(
        json.dumps(
            {
                "requests": sum(statuses.values()) + sum(errors.values()),
                "statuses": statuses,
                "non_2xx": sum(n for s, n in statuses.items() if not s.startswith("2")),
                "errors": errors,
                "error_texts": error_texts,
                "revisions": revisions,
                **seen,
                "answered": answered,
                "redirected": redirected,
                "served_by": served_by,
                "seconds": round(time.monotonic() - started, 1),
                "written": written,
                "failing_seconds": round(max(failed_at) - min(failed_at), 1) if failed_at else 0,
            }
        )
    )


def post_note(text: str, address: str = "") -> int:
    """A note without an attachment through the page's form; the POST's status (302 once committed)."""
    status, headers, body = request("GET", "/", address=address)
    if status != 200:
        return status
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    token = body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "text": text}).encode()
    status, _, _ = request("POST", "/", body=form, address=address, headers={
        "Cookie": cookie, "Referer": f"https://{HOST}/", "Content-Type": "application/x-www-form-urlencoded"})
    return status


def upload(text: str, filename: str) -> None:
    # The form needs the CSRF cookie and token from a GET, and a Referer on HTTPS.
    status, headers, body = request("GET", "/")
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    token = body.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{token}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n{text}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachment"; filename="{filename}"\r\n'
        "Content-Type: text/plain\r\n\r\n" + f"attachment of {text}\r\n",
        f"--{boundary}--\r\n",
    ]
    status, headers, body = request(
        "POST",
        "/",
        body="".join(parts).encode(),
        headers={
            "Cookie": cookie,
            "Referer": f"https://{HOST}/",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    print(json.dumps({"status": status, "location": headers.get("Location", "")}))


def _cookies(message, jar: dict[str, str]) -> dict[str, str]:
    for header in message.get_all("Set-Cookie") or []:
        pair = header.split(";", 1)[0]
        if "=" in pair:
            key, value = pair.split("=", 1)
            jar[key.strip()] = value.strip()
    return jar


def login(path: str, user: str) -> None:
    jar: dict[str, str] = {}
    form_status, message, body = exchange("GET", path)
    _cookies(message, jar)
    form = body.decode("utf-8", "replace")
    # The form's hidden fields as it gives them (the CSRF token, the page to go to next), then the login.
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    fields.update({"username": user, "password": os.environ["WEBSTACK_PASSWORD"]})
    cookie = "; ".join(f"{key}={value}" for key, value in jar.items())
    status, message, _ = exchange(
        "POST",
        path,
        body=urllib.parse.urlencode(fields).encode(),
        headers={
            "Cookie": cookie,
            "Referer": f"https://{HOST}{path}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    _cookies(message, jar)
    location = message.get("Location", "")
    after = 0
    if status in (301, 302, 303) and location:
        target = urllib.parse.urlsplit(location)
        cookie = "; ".join(f"{key}={value}" for key, value in jar.items())
        after, _, _ = exchange("GET", target.path or "/", headers={"Cookie": cookie})
    print(json.dumps({"form_status": form_status, "login_status": status, "location": location,
                      "session": "sessionid" in jar, "after_status": after}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "get":
        get(args[0])
    elif command == "load":
        load(args[0], int(args[1]) if len(args) > 1 else 4)
    elif command == "upload":
        upload(args[0], args[1])
    elif command == "login":
        login(args[0], args[1])
    else:
        sys.exit(f"unknown command {command}")
