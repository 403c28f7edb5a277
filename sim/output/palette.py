"""Which firms a plot names, and one colour per firm across every plot and page.

A scenario's **named firms** (its ``[firms.NAME]`` tables: the labs and big-tech firms a
user asks about) are always drawn by name; firms generated from spreads
(``[[generated_firms]]``) are drawn together as one group, ``"generated firms"``. Each
named firm keeps one colour in every figure of a run, of a comparison of runs and of the
interactive report: the colour is fixed by the firm's position among the named firms of
the scenario files (in file order), not by the order a plot happens to draw them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.columns import UNEMPLOYMENT_PLACE

GENERATED = "generated firms"
"""The label of all firms generated from spreads, drawn as one group."""
OTHER_FIRMS = "other firms"
"""The label of the firms a plot groups when it cannot tell named from generated firms (a
run folder without a manifest): all but the largest."""
UNEMPLOYMENT_LABEL = UNEMPLOYMENT_PLACE
GENERATED_COLOUR = "#9e9e9e"
"""Grey: the generated firms' group."""
UNEMPLOYMENT_COLOUR = "#424242"

# Tableau 10 without its grey (kept for the generated group), then the dark shades of
# Tableau 20b, then light shades of Tableau 20: 20 colours, the first 15 dark enough
# to read as text and thin lines on white.
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#6b6ecf",
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
)


def named_firms(scenario: Mapping[str, Any]) -> list[str]:
    """The named firms of a resolved scenario (its ``firms`` table), in file order.

    ``scenario`` is the scenario as a run's ``manifest.json`` records it.
    """
    firms = scenario.get("firms") or {}
    return [str(name) for name in firms]


def firm_colours(named: Iterable[str]) -> dict[str, str]:
    """One colour per firm: the k-th distinct named firm gets ``PALETTE[k mod 20]`` (colours
    repeat beyond 20 named firms); the generated group (and the "other firms" of a run
    without a manifest) is grey and unemployment dark grey.

    Give the union of the named firms of every run on a page (first run first) so that a
    firm has the same colour in every run of a comparison.
    """
    colours: dict[str, str] = {}
    for name in named:
        if name not in colours:
            colours[name] = PALETTE[len(colours) % len(PALETTE)]
    colours[GENERATED] = GENERATED_COLOUR
    colours[OTHER_FIRMS] = GENERATED_COLOUR
    colours[UNEMPLOYMENT_LABEL] = UNEMPLOYMENT_COLOUR
    return colours


@dataclass(frozen=True)
class FirmLabels:
    """Which firms a run's plots show by name, the label of all others, and the colours.

    Attributes
    ----------
    named : tuple of str
        Firms drawn by name, in the scenario's order: its named firms (``[firms.NAME]``).
    rest : str
        The label of every other firm, drawn as one group: :data:`GENERATED`, or
        :data:`OTHER_FIRMS` for a run without a manifest.
    colours : dict of str to str
        One colour per label (:func:`firm_colours`), the same in every plot.
    """

    named: tuple[str, ...]
    rest: str
    colours: dict[str, str]

    def label(self, firm: str) -> str:
        """The label of ``firm``: its name if it is named (or unemployment), else ``rest``."""
        return firm if firm in self.named or firm == UNEMPLOYMENT_LABEL else self.rest

    def labels(self, firms: pd.Series) -> pd.Series:
        """:meth:`label` of every firm in ``firms``."""
        mapping = {f: self.label(f) for f in pd.unique(firms.astype(str))}
        return firms.astype(str).map(mapping)

    def order(self, firms: Iterable[str]) -> list[str]:
        """The labels drawn: every named firm, then ``rest`` if ``firms`` has any other
        firm (unemployment aside)."""
        others = any(f not in self.named and f != UNEMPLOYMENT_LABEL for f in firms)
        return [*self.named, *([self.rest] if others else [])]

    @property
    def note(self) -> str:
        """Legend title saying how the group is made."""
        if self.rest == GENERATED:
            return f"firm ({GENERATED}: together)"
        return f"firm (largest {len(self.named)}; {OTHER_FIRMS}: together)"
