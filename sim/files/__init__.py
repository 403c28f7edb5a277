"""The ground floor of the plumbing: writing files and folders atomically
(:mod:`~sim.files.atomic`), a resumable table of runs (:mod:`~sim.files.table`), where a
result came from and its default folder (:mod:`~sim.files.provenance`), and the checks and
locks of the folders a command writes (:mod:`~sim.files.folders`).

Run folders, sweeps and calibrations all use these; none has a copy of its own.
"""

from sim.files.atomic import (
    LEFTOVER,
    WriteError,
    atomic_directory,
    atomic_file,
    atomic_files,
    incomplete,
    killed_files,
    left_by_a_kill,
    leftovers,
    remove_leftovers,
    signals_held,
    write_bytes,
    write_text,
    writer_alive,
)
from sim.files.folders import (
    MAX_WORKERS,
    FolderError,
    check_new_folder,
    check_workers,
    default_workers,
    lock_folder,
    locked,
    not_a_folder,
    remove_stale_locks,
    require_folder,
    reserved,
)
from sim.files.provenance import claim_folder, free_name, git_commit, stamp, versions
from sim.files.table import RunTable, TableDamage

__all__ = [
    "LEFTOVER",
    "MAX_WORKERS",
    "FolderError",
    "RunTable",
    "TableDamage",
    "WriteError",
    "atomic_directory",
    "atomic_file",
    "atomic_files",
    "check_new_folder",
    "check_workers",
    "claim_folder",
    "default_workers",
    "free_name",
    "git_commit",
    "incomplete",
    "killed_files",
    "left_by_a_kill",
    "leftovers",
    "lock_folder",
    "locked",
    "not_a_folder",
    "remove_leftovers",
    "remove_stale_locks",
    "require_folder",
    "reserved",
    "signals_held",
    "stamp",
    "versions",
    "write_bytes",
    "write_text",
    "writer_alive",
]
