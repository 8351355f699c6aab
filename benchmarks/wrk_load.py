"""Driving a server with wrk (the Debian package): GET or a rotating set of POST bodies.

``run_wrk`` writes the bodies to a file and a Lua script that sends them in
turn with the Authorization header, runs ``wrk --latency`` and reads its
summary: requests/s, p50/p99 latency and the non-2xx count. wrk is a C
event loop, so unlike a Python client it does not hold the server down
by its own cost (issue 13).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

_LUA = """
local bodies = {}
for line in io.lines(%(bodies)s) do bodies[#bodies + 1] = line end
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = %(auth)s
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def wrk_installed() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, float]:
    """requests/s, p50/p99 in ms, requests and non-2xx responses from wrk --latency's text."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))  # type: ignore[union-attr]
    n = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "n": n,
        "errors": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else "",  # type: ignore[dict-item]
    }


def run_wrk(
    url: str,
    seconds: float,
    threads: int = 2,
    connections: int = 16,
    bodies: list[Any] | None = None,
    authorization: str = "",
) -> dict[str, float]:
    """One wrk run against ``url``: GET, or POST of ``bodies`` in turn (JSON)."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "30s"]
    with tempfile.TemporaryDirectory(prefix="polisure-wrk-") as tmp:
        if bodies is not None:
            body_file = Path(tmp) / "bodies.jsonl"
            body_file.write_text(
                "".join(json.dumps(b, separators=(",", ":")) + "\n" for b in bodies)
            )
            script = Path(tmp) / "post.lua"
            script.write_text(
                _LUA % {"bodies": json.dumps(str(body_file)), "auth": json.dumps(authorization)}
            )
            command += ["-s", str(script)]
        out = subprocess.run(
            [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
        )
    return parse_wrk(out.stdout)
