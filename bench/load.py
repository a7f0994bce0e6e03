"""Load through nginx while something changes (hey, wrk), and what the site answers."""

from __future__ import annotations

import json
import re
import time

from shell import APP, SITE, WEB, WRK_SCRIPT, on_web, run


def parse_wrk(out: str) -> dict:
    """The JSON line bench/wrk_count.lua prints, plus the socket errors summed."""
    figures = json.loads(out.split("WEBSTACK ", 1)[1])
    figures["socket_errors"] = sum(figures[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return figures


def wrk(url: str, seconds: int, connections: int, pause_ms: int = 0, headers: tuple[str, ...] = ()) -> dict:
    options = [f"-H '{header}'" for header in headers]
    return parse_wrk(on_web(f"wrk -t2 -c{connections} -d{seconds}s {' '.join(options)} -s {WRK_SCRIPT} {url} "
                            f"-- {pause_ms}"))


def parse_hey(out: str) -> dict:
    """hey's summary: answers per status, errors, latency percentiles."""
    statuses = {int(code): int(count) for code, count in re.findall(r"^\s*\[(\d{3})\]\s+(\d+) responses", out, re.M)}
    errors = {text.strip(): int(count) for count, text in
              re.findall(r"^\s*\[(\d+)\]\s+(.+)$", out.split("Error distribution:", 1)[1], re.M)} \
        if "Error distribution:" in out else {}
    latency = dict(re.findall(r"^\s*(\d+)% in ([\d.]+) secs", out, re.M))
    total = re.search(r"Total:\s+([\d.]+) secs", out)
    assert statuses and total, out
    return {"requests": sum(statuses.values()) + sum(errors.values()), "statuses": statuses,
            "non_2xx": sum(n for code, n in statuses.items() if not 200 <= code < 300),
            "socket_errors": sum(errors.values()), "errors": errors, "seconds": float(total.group(1)),
            "p50_ms": round(float(latency["50"]) * 1000, 1), "p99_ms": round(float(latency["99"]) * 1000, 1)}


# Each load tool: its command line, the text that shows it printed its figures, their parser.
# hey (the default): 8 workers, each at most 50 requests/s, HTTP/1.1 keep-alive; like a
# browser, it sends a request again when a kept-alive connection turns out closed before
# any answer. wrk: 8 connections, 20 ms between each one's requests, no such retry.
LOAD_TOOLS = {
    "hey": (f"hey -z 3600s -c 8 -q 50 {SITE}", "Status code distribution:", parse_hey),
    "wrk": (f"wrk -t2 -c8 -d3600s -s {WRK_SCRIPT} {SITE} -- 20", "WEBSTACK ", parse_wrk),
}


class Load:
    """A bounded load through nginx until the block ends, from 3 s before the change to 3 s after it."""

    def __init__(self, tool: str = "hey") -> None:
        self.tool = tool
        self.command, self.marker, self.parse = LOAD_TOOLS[tool]
        self.counts: dict = {}

    def __enter__(self) -> dict:
        on_web("rm -f /var/tmp/load.out")
        run("docker", "exec", "-d", WEB, "sh", "-c", f"{self.command} >/var/tmp/load.out 2>&1")
        time.sleep(3)
        return self.counts

    def __exit__(self, *exc: object) -> None:
        time.sleep(3)
        on_web(f"pkill -INT -x {self.tool}")
        for _ in range(30):
            out = on_web("cat /var/tmp/load.out", check=False)
            if self.marker in out:
                self.counts.update(self.parse(out))
                return
            time.sleep(1)
        raise RuntimeError(f"{self.tool} printed no figures: {out}")


def serial() -> str:
    return on_web(f"openssl x509 -noout -serial -in /etc/letsencrypt/live/{APP}/cert.pem", check=False).strip()


def revision() -> str:
    return json.loads(on_web(f"curl -sk {SITE}healthz"))["revision"]
