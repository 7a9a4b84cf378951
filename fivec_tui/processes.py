"""Whether a process recorded by its pid still runs: a campaign's runner, the owner of a
demo's temporary directory.

A pid alone may since name another process (pids are reused); where the process's start
time was recorded too (Linux: ``/proc/<pid>/stat``), a new process under the same pid is
told apart.  A process of another user counts as running (it cannot be signalled, and it
is not known to be gone).  Standard library only: importable from every layer.
"""

from __future__ import annotations

import os


def start_time(pid: int) -> str | None:
    """The process's start time (clock ticks since boot), None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read(4096)
    except OSError:
        return None
    fields = stat.rpartition(b")")[2].split()  # the name, in parentheses, may hold spaces
    return fields[19].decode() if len(fields) > 19 else None


def alive(pid: int, started: str | None = None) -> bool:
    """Whether ``pid`` runs, and is the process that started at ``started`` when given."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if started is None:
        return True
    now = start_time(pid)
    return now is None or now == started
