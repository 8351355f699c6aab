"""Hidden staging names in a models directory, and sweeping the ones their writer left.

A version (or the ACTIVE pointer) is written under a hidden name and renamed
into place. A writer killed with SIGKILL never reaches its cleanup, so its
staging entry would stay forever. The name carries the host and the process
id of its writer; ``sweep_abandoned`` removes the entries of this host whose
process is gone. Entries of another host are left alone: a models directory
shared over a network filesystem may hold another machine's write in
progress, and a pid says nothing across machines.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
from pathlib import Path

_STAGING = re.compile(r"^(?P<stem>.*)\.tmp-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[0-9a-f]{8}$")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname()) or "host"


def staging_path(root: Path, stem: str = "") -> Path:
    """``root/<stem>.tmp-<host>-<pid>-<random>``: hidden, and naming its writer."""
    return root / f"{stem}.tmp-{_host()}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_abandoned(root: Path) -> list[str]:
    """Remove the staging entries under ``root`` whose writer (on this host) has died.

    Returns the names removed. A writer that is still running (or whose pid
    has been reused since) keeps its entry: a reused pid delays the sweep to a
    later write, it never removes a live write.
    """
    if not root.is_dir():
        return []
    host, removed = _host(), []
    for entry in root.iterdir():
        match = _STAGING.match(entry.name)
        if match is None or match["host"] != host or _alive(int(match["pid"])):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry.name)
    return removed
