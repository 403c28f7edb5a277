"""Plots of a calibration folder (matplotlib PNGs, read from its tables only).

- ``objective.png``: J of every design and search point, in evaluation order, and the best
  so far (log scale);
- ``moments_fit.png``: each moment's fitted mean over replicates (± 2 SD of the replicates)
  against its target (± 2 SE), in target SEs, fitted and held out apart;
- ``profiles.png``: J along each parameter around the estimate, the others held at it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.store import POINTS_FILE
from sim.files import atomic_file


def plot_calibration(folder: Path) -> list[Path]:
    """Draw the plots of a calibration folder; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder = Path(folder)
    paths = []
    points = pd.read_csv(folder / POINTS_FILE)
    search = points[points["stage"].isin(["design", "search"])]
    if not search.empty:
        fig, ax = plt.subplots(figsize=(7, 4))
        j = search["objective"].to_numpy(float)
        x = np.arange(1, len(j) + 1)
        design = (search["stage"] == "design").to_numpy()
        ax.scatter(x[design], j[design], s=12, label="global design")
        ax.scatter(x[~design], j[~design], s=12, label="local search")
        ax.plot(x, np.minimum.accumulate(j), color="black", lw=1, label="best so far")
        ax.set_yscale("log")
        ax.set_xlabel("point evaluated")
        ax.set_ylabel("objective J (log scale)")
        ax.legend()
        ax.set_title("Objective over the search")
        paths.append(_save(fig, folder / "objective.png"))
    moments = pd.read_csv(folder / "moments.csv")
    if not moments.empty:
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(moments) + 1.5))
        y = np.arange(len(moments))[::-1]
        # the deviation in SEs: m̂ - target, or for a bound zero while the model keeps it
        z = (moments["t_ratio"] if "t_ratio" in moments
             else (moments["fitted_mean"] - moments["target"]) / moments["se"])
        band = 2 * moments["fitted_sd"].fillna(0) / moments["se"]
        held = (moments["role"] == "held out").to_numpy()
        ax.axvspan(-2, 2, color="0.9", label="target ± 2 SE")
        ax.errorbar(z[~held], y[~held], xerr=band[~held], fmt="o", label="fitted")
        ax.errorbar(z[held], y[held], xerr=band[held], fmt="s", label="held out")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, moments["moment"])
        ax.set_xlabel("deviation / SE (fitted mean − target; a bound: 0 while kept); "
                      "bars: ± 2 SD over replicates", fontsize="small")
        ax.legend(loc="best", fontsize="small")
        ax.set_title("Fit of each moment")
        paths.append(_save(fig, folder / "moments_fit.png"))
    profiles_path = folder / "profiles.csv"
    if profiles_path.is_file() and profiles_path.stat().st_size:
        profiles = pd.read_csv(profiles_path)
        params = list(dict.fromkeys(profiles["parameter"]))
        if params:
            estimate = json.loads((folder / "identification.json").read_text())["estimate"]
            fig, axes = plt.subplots(1, len(params), figsize=(3.2 * len(params), 3),
                                     squeeze=False)
            for ax, key in zip(axes[0], params, strict=True):
                part = profiles[profiles["parameter"] == key].sort_values("value")
                ax.plot(part["value"], part["objective"], marker="o")
                ax.axvline(estimate[key], color="black", lw=0.8, ls="--")
                ax.set_xlabel(key, fontsize="small")
                ax.set_ylabel("J")
            fig.suptitle("Profiles of the objective around the estimate")
            paths.append(_save(fig, folder / "profiles.png"))
    return paths


def _save(fig: object, path: Path) -> Path:
    """Save ``fig`` as a PNG at 100 dpi, laid out tight, compressed at zlib level
    :data:`sim.output.plotkit.PNG_COMPRESSION`, its text unhinted as in every PNG
    (:func:`sim.output.plotkit.text_settings`), atomically; close it."""
    import matplotlib.pyplot as plt

    from sim.output.plotkit import PNG_COMPRESSION, text_settings

    try:
        with text_settings(), atomic_file(path, "the plot") as tmp:
            fig.tight_layout()  # type: ignore[attr-defined]
            fig.savefig(tmp, format="png", dpi=100,  # type: ignore[attr-defined]
                        pil_kwargs={"compress_level": PNG_COMPRESSION})
    finally:
        plt.close(fig)  # type: ignore[arg-type]
    return path
