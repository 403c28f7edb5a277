"""Reading a sweep back: replicate confidence intervals and sensitivity indices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.sweeps.analysis import point_means, run_scalars, sensitivity
from sim.sweeps.run import run_sweep
from tests.sweeps.common import (
    SENSITIVITY,
    write,
)


def test_confidence_interval_formula(serial_grid: Path) -> None:
    scalars = run_scalars(serial_grid)
    stats = point_means(scalars, "top_hhi_mean", ["compute.threshold"], 0.95).set_index("point")
    values = scalars[scalars.point == 3]["top_hhi_mean"].to_numpy()
    from scipy import stats as st

    half = st.t.ppf(0.975, 1) * values.std(ddof=1) / np.sqrt(2)
    assert stats.loc[3, "mean"] == pytest.approx(values.mean())
    assert stats.loc[3, "half_width"] == pytest.approx(half)


@pytest.mark.parametrize(("kind", "samples", "index"), [("sobol", 32, "ST"),
                                                        ("morris", 10, "mu_star")])
def test_sensitivity_ranks_an_influential_above_an_inert_parameter(
        tmp_path: Path, kind: str, samples: int, index: str) -> None:
    """The GPU threshold decides which firms count as above it, so it moves the measure;
    a firm's cash (any positive amount) is inert, so only the run-to-run noise of different
    seeds gives it a (small) index. The confidence intervals must not overlap (checked to
    hold with margin for root seeds 42, 1 and 2)."""
    out = tmp_path / kind
    run_sweep(write(tmp_path, SENSITIVITY.format(kind=kind, samples=samples)), out=out,
                    workers=2, progress=False)
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == ["measure", "parameter", "index", "value", "confidence"]
    pd.testing.assert_frame_equal(table, sensitivity(out), check_exact=False)
    rows = table[table["index"] == index].set_index("parameter")
    threshold, cash = rows.loc["compute.threshold"], rows.loc["firms.enterprise_b.cash"]
    assert threshold.value - threshold.confidence > cash.value + cash.confidence
    if kind == "sobol":
        assert threshold.value > 0.5


def test_noise_share_tells_noise_from_effects():
    import pandas as pd

    from sim.sweeps.analysis import noise_share

    rng = np.random.default_rng(3)
    points, reps = 40, 5
    point = np.repeat(np.arange(points), reps)
    noise = rng.normal(0, 1, point.size)
    # Pure noise: the point means vary only as much as R replicates' noise makes them.
    pure = pd.DataFrame({"point": point, "y": noise})
    assert 0.6 < noise_share(pure, "y") < 1.6
    # A strong effect of the point: noise is a small share.
    strong = pd.DataFrame({"point": point, "y": 10 * point + noise})
    assert noise_share(strong, "y") < 0.01
    one = pd.DataFrame({"point": np.arange(points), "y": rng.normal(size=points)})
    assert np.isnan(noise_share(one, "y"))  # one replicate: noise cannot be measured
    # A measure equal in every run: no variance to share out (it read as infinite noise,
    # "noise makes up 999%"); point means that agree while runs differ: all noise.
    constant = pd.DataFrame({"point": point, "y": np.ones(point.size)})
    assert np.isnan(noise_share(constant, "y"))
    balanced = pd.DataFrame({"point": point, "y": np.tile([1.0, -1.0, 2.0, -2.0, 0.0],
                                                          points)})
    assert noise_share(balanced, "y") == np.inf
