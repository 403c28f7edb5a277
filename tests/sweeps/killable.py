"""``python -m tests.sweeps.killable ARGS``: ``talentwar ARGS`` with a model that makes some
runs fail with an error of several lines, for the kill-and-resume tests (a process started
this way can be killed at any moment)."""

from __future__ import annotations

import sys

import sim.model
from sim import cli
from tests.sweeps.common import failing_model


def fail_some(run_id: int) -> None:
    """Every seventh run (ids 3, 10, 17, ...) fails with a multi-line error."""
    if run_id % 7 == 3:
        raise RuntimeError(f"run {run_id} failed on purpose,\nwith a second line "
                           "\"quoted\",\nand a third")


if __name__ == "__main__":
    sim.model.TalentMarket = failing_model(fail_some)  # set before the worker processes fork
    sys.exit(cli.main(sys.argv[1:]))
