"""Plots of a sweep folder fit its design."""

from __future__ import annotations

from pathlib import Path

from sim.sweeps.run import run_sweep
from tests.sweeps.common import (
    GRID,
    SENSITIVITY,
    write,
)


def test_plots_fit_the_design(serial_grid: Path, tmp_path: Path) -> None:
    from sim.sweeps.plots import plot_sweep

    one = tmp_path / "one"
    text = GRID.replace('values = ["sharp", "smooth"]', 'values = ["smooth"]')
    run_sweep(write(tmp_path, text), out=one, workers=1, progress=False)
    sobol = tmp_path / "sobol"
    run_sweep(write(tmp_path, SENSITIVITY.format(kind="sobol", samples=8), "s.toml"),
                    out=sobol, workers=1, progress=False)
    expected = {
        one: {"response_top_share_above_threshold.png", "response_unemployment_rate.png",
              "response_top_hhi_mean.png", "series_unemployment_rate.png"},
        serial_grid: {"heatmap_top_share_above_threshold.png", "heatmap_unemployment_rate.png",
                      "heatmap_top_hhi_mean.png"},
        sobol: {"sobol_top_share_above_threshold.png"},
    }
    for folder, names in expected.items():
        paths = plot_sweep(folder)
        assert {p.name for p in paths} == names
        for p in paths:
            assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
        assert not [p for p in folder.iterdir() if p.name.startswith(".")]
