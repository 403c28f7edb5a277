"""Designs (grid, Latin hypercube, Sobol, Morris, random) and the seeds of runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.errors import UserError
from sim.model import TalentMarket
from sim.scenario import load_scenario
from sim.sweeps.designs import design_matrix, design_points
from tests.sweeps.common import (
    BASE,
    GRID,
    HEADER,
    MEASURES,
    spec,
)


def test_grid_size_order_and_log_spacing() -> None:
    s = spec(GRID)
    points = design_points(s)
    assert len(points) == 3 * 2
    # the first parameter varies slowest; log steps are geometric with exact ends
    assert [p["compute.threshold"] for p in points[::2]] == pytest.approx([1e3, 1e4, 1e5])
    assert points[0]["compute.threshold"] == 1000.0 and points[-1]["compute.threshold"] == 1e5
    assert [p["compute.response"] for p in points[:2]] == ["sharp", "smooth"]


def test_latin_hypercube_is_stratified() -> None:
    n = 20
    s = spec(HEADER + f'''
[design]
kind = "latin"
samples = {n}
[[parameters]]
key = "choice.noise"
min = 0.0
max = 2.0
[[parameters]]
key = "compute.threshold"
min = 1000
max = 100000
scale = "log"
[[parameters]]
key = "compute.response"
values = ["sharp", "smooth"]
''' + MEASURES)
    points = design_points(s)
    assert len(points) == n
    noise = np.array([p["choice.noise"] for p in points])
    log_t = np.log10([p["compute.threshold"] for p in points])
    # every one of the n equal strata of each range holds exactly one point
    for values, low, high in ((noise, 0.0, 2.0), (log_t, 3.0, 5.0)):
        strata = np.floor((values - low) / (high - low) * n).astype(int)
        assert sorted(strata) == list(range(n))
    # a categorical parameter of k values gets n/k points each
    assert sum(p["compute.response"] == "sharp" for p in points) == n // 2


def test_sobol_and_morris_sample_sizes() -> None:
    params = '''
[[parameters]]
key = "tiers.top.weights.gpu"
min = 0.0
max = 3.0
[[parameters]]
key = "tiers.top.weights.pay"
min = 0.5
max = 2.0
[[parameters]]
key = "choice.noise"
min = 0.1
max = 1.0
'''
    sobol = spec(HEADER + '[design]\nkind = "sobol"\nsamples = 16\n' + params + MEASURES)
    assert len(design_points(sobol)) == 16 * (3 + 2)
    second = spec(HEADER + '[design]\nkind = "sobol"\nsamples = 16\nsecond_order = true\n'
                  + params + MEASURES)
    assert len(design_points(second)) == 16 * (2 * 3 + 2)
    morris = spec(HEADER + '[design]\nkind = "morris"\nsamples = 5\nlevels = 4\n'
                  + params + MEASURES)
    x = design_matrix(morris)
    assert x.shape == (5 * (3 + 1), 3)
    # within a trajectory, consecutive points differ in exactly one parameter
    for t in range(5):
        steps = np.diff(x[t * 4:(t + 1) * 4], axis=0)
        assert ((np.abs(steps) > 1e-12).sum(axis=1) == 1).all()


def test_random_design_is_reproducible_and_within_bounds() -> None:
    text = HEADER + '''
[design]
kind = "random"
samples = 50
[[parameters]]
key = "choice.noise"
min = 0.2
max = 0.4
[[parameters]]
key = "firms.megacorp.outreach"
min = 0
max = 9
integer = true
''' + MEASURES
    a, b = design_points(spec(text)), design_points(spec(text))
    assert a == b
    other = design_points(spec(text.replace("seed = 42", "seed = 43")))
    assert a != other
    assert all(0.2 <= p["choice.noise"] <= 0.4 for p in a)
    assert all(isinstance(p["firms.megacorp.outreach"], int) for p in a)
    assert {p["firms.megacorp.outreach"] for p in a} <= set(range(10))


def test_seeds_follow_seed_sequence_and_reproduce_runs(serial_grid: Path) -> None:
    runs = pd.read_csv(serial_grid / "runs.csv")
    assert (runs["status"] == "done").all() and len(runs) == 12
    expected = [int(np.random.SeedSequence(42, spawn_key=(i,)).generate_state(1, np.uint32)[0])
                for i in runs["run_id"]]
    assert runs["seed"].tolist() == expected
    assert runs["run_id"].tolist() == (runs["point"] * 2 + runs["replicate"]).tolist()
    assert runs["seed"].nunique() == len(runs)
    # run 5 again as `talentwar run BASE --seed S --set ...` would
    text = pd.read_csv(serial_grid / "runs.csv", dtype=str).set_index("run_id").loc["5"]
    row = runs[runs["run_id"] == 5].iloc[0]
    overrides = ["market.engineers=400", "months=8",
                 f"compute.threshold={text['compute.threshold']}",
                 f'compute.response="{row["compute.response"]}"']
    model = TalentMarket(load_scenario(BASE, overrides), seed=int(row["seed"]))
    model.run()
    kept = pd.read_csv(serial_grid / "measures.csv")
    kept = kept[kept["run_id"] == 5].set_index("month")
    assert kept["unemployment_rate"].tolist() == model.market["unemployment_rate"].tolist()
    assert kept.loc[8, "top_share_above_threshold"] == \
        model.market["top_share_above_threshold"].iloc[-1]
    assert kept.loc[8, "top_hhi_mean"] == pytest.approx(
        model.market["top_hhi"].iloc[4:9].mean(), rel=1e-15)


def morris_over_a_list(levels: int, samples: int) -> str:
    """A morris sweep of a range (choice.noise) and a list of 3 values (compute.width)."""
    return HEADER + f'''
[design]
kind = "morris"
samples = {samples}
levels = {levels}
[[parameters]]
key = "choice.noise"
min = 0.1
max = 1.0
[[parameters]]
key = "compute.width"
values = [0.1, 0.3, 1.0]
''' + MEASURES


@pytest.mark.parametrize("levels", [3, 4, 5, 9])
def test_morris_refuses_levels_that_give_a_list_of_values_unequally(levels: int) -> None:
    # 3 values on 4 levels: floor(i * 3 / 3) = 0, 1, 2, 3 -> p, q, r, r; on 5 levels:
    # 0, 0.75, 1.5, 2.25, 3 -> p, p, q, r, r; on 3 or 9 (odd) SALib's trajectories leave
    # the grid (on 3 levels they take 0 and 2.25 only: q never comes)
    with pytest.raises(UserError, match=r"parameters\[1\]\.values \(compute.width\): a "
                       r"morris design .* design\.levels = \d+ levels, which do not give "
                       r"its 3 values equally .* a multiple of 6 \(6, 12\.\.\.\)"):
        spec(morris_over_a_list(levels, samples=4))


@pytest.mark.parametrize("levels", [6, 12])
def test_morris_on_a_multiple_of_a_lists_length_moves_between_all_its_values(
        levels: int) -> None:
    samples = 20
    s = spec(morris_over_a_list(levels, samples))
    x = design_matrix(s)
    points = design_points(s, x)
    values = [p["compute.width"] for p in points]
    # every level maps to a value, each value to levels / 3 of them: all three appear
    assert set(values) == {0.1, 0.3, 1.0}
    counts = [values.count(v) for v in (0.1, 0.3, 1.0)]
    assert min(counts) > 0.5 * max(counts)
    # every step of a trajectory that moves the list moves it to another value
    for t in range(samples):
        for a, b, step in zip(points[t * 3:t * 3 + 2], points[t * 3 + 1:t * 3 + 3],
                              np.diff(x[t * 3:(t + 1) * 3], axis=0), strict=True):
            if abs(step[1]) > 1e-12:
                assert a["compute.width"] != b["compute.width"]
