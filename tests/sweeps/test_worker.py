"""One run in a worker: finished models are not kept."""

from __future__ import annotations

from pathlib import Path

from sim.model import TalentMarket
from sim.sweeps.run import plan_sweep
from sim.sweeps.worker import execute_run
from tests.sweeps.common import (
    GRID,
    write,
)


def test_workers_do_not_keep_finished_models(tmp_path: Path) -> None:
    """Mesa 3.3 keeps every model in ``mesa.Agent._ids`` (Mesa #3179); a worker running
    thousands of runs must not, so ``execute_run`` drops it."""
    import gc

    import mesa

    def live_models() -> int:
        gc.collect()
        return sum(isinstance(o, TalentMarket) for o in gc.get_objects())

    plan = plan_sweep(write(tmp_path, GRID))
    job = plan.job()
    before, registered = live_models(), len(getattr(mesa.Agent, "_ids", {}))
    for task in list(plan.tasks())[:5]:
        assert execute_run(task, job).status == "done"
    assert live_models() == before
    assert len(getattr(mesa.Agent, "_ids", {})) == registered
