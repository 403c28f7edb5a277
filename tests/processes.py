"""Finding the processes a command left behind (Linux: reads /proc)."""

from __future__ import annotations

from pathlib import Path


def group_processes(group: int, zombies: bool = False) -> list[int]:
    """The processes of process group ``group``: live ones, and with ``zombies`` also those
    that have ended but are not yet reaped (a process that outlived its command by a moment
    is often found only so)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == group and (zombies or fields[0] != "Z"):
            found.append(int(stat.parent.name))
    return found
