"""Calibration: estimating a scenario's parameters from target moments (SMM), on the
sweep engine's backends and seeds.

- :mod:`sim.calibration.run_measures`: the measures over a run's outputs (what each reads,
  its formula);
- :mod:`sim.calibration.moments`: their registry, the composite measures, descriptions;
- :mod:`sim.calibration.spec`: the calibration file (schema, reading, reference);
- :mod:`sim.calibration.worker`: one run, returning its moments;
- :mod:`sim.calibration.store`: the streamed, resumable ``runs.csv`` and ``points.csv``;
- :mod:`sim.calibration.execution`: evaluating points on a backend;
- :mod:`sim.calibration.objective`: the objective J (weights, deviations of equalities and bounds);
- :mod:`sim.calibration.inference`: sandwich SEs, identification, intervals at the estimate;
- :mod:`sim.calibration.estimate`: the search (``smm``) and the Jacobian;
- :mod:`sim.calibration.run`: planning, searching, writing the folder;
- :mod:`sim.calibration.plots`, :mod:`sim.calibration.report`: plots and HTML report.

Nothing is imported here (see :mod:`sim.sweeps`).
"""
