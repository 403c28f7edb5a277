"""``python -m tests.sweeps.killable ARGS``: ``talentwar ARGS`` with a run hook that makes
some runs fail with an error of several lines, for the kill-and-resume tests (a process
started this way can be killed at any moment)."""

from __future__ import annotations

import sys

from sim import cli
from sim.sweeps import worker
from sim.sweeps.worker import RunTask


def fail_some(task: RunTask) -> None:
    """Every seventh run (ids 3, 10, 17, ...) fails with a multi-line error."""
    if task.run_id % 7 == 3:
        raise RuntimeError(f"run {task.run_id} failed on purpose,\nwith a second line "
                           "\"quoted\",\nand a third")


if __name__ == "__main__":
    worker.RUN_HOOK = fail_some  # set before the worker processes fork
    sys.exit(cli.main(sys.argv[1:]))
