"""Parameter sweeps: many runs of a scenario over a design, streamed to a resumable folder.

Modules, each importing only those above it:

- :mod:`sim.sweeps.spec`: the sweep file (schema, reading, validation);
- :mod:`sim.sweeps.designs`: design points (grid, random, Latin, Sobol, Morris) and seeds;
- :mod:`sim.sweeps.worker`: one run (task, shared job, result, measure extraction);
- :mod:`sim.sweeps.plan`: the plan of a sweep and its ``sweep.json`` (written, checked);
- :mod:`sim.sweeps.store`: the sweep folder's tables (CSV tables, writer, status, lock);
- :mod:`sim.sweeps.backends`: where runs execute (this process, local processes, Dask);
- :mod:`sim.sweeps.analysis`: reading results back (scalars, means, sensitivity indices);
- :mod:`sim.sweeps.plots`: plots of a sweep folder;
- :mod:`sim.sweeps.run`: planning and running a sweep (``run_sweep``, ``resume_sweep``).

Nothing is imported here, so that a Dask worker unpickling a run imports only the worker's
modules; import from the modules themselves (``from sim.sweeps.run import run_sweep``).
"""
