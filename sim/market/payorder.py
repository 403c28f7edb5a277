"""The pay of the employed, kept sorted from month to month, for quantiles without a sort.

A month changes the pay or the employer of a few engineers (movers, counter-offers, deals,
layoffs, exits), not of a million. :class:`PayOrder` keeps, for each group of tiers, the
sorted pay of the employed engineers of those tiers, and brings it up to date by finding
the rows whose pay or employer changed since its last update (two comparisons of whole
columns), taking their old pay out and putting their new pay in (a search and one copy of
each sorted array). Quantiles are then read by index (:func:`linear_quantiles`,
:func:`sorted_median`), with numpy's own arithmetic, so they equal
``np.quantile`` and ``np.median`` bit for bit.
"""

from __future__ import annotations

import numpy as np

from sim.agents.engineers import UNEMPLOYED

"""``Engineers.firm`` of an engineer without a job (as :mod:`sim.agents.engineers`)."""


def linear_quantiles(ordered: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The q-quantiles of the sorted values ``ordered``, as ``np.quantile(values, q)``
    computes them (method ``linear``): with h = (n - 1) q, k = floor(h) and g = h - k,
    x_k + g (x_{k+1} - x_k) where g < 0.5 and x_{k+1} - (1 - g)(x_{k+1} - x_k) where
    g >= 0.5 (numpy's ``_lerp``, exact at both ends); x_{k+1} is x_{n-1} past the end.
    NaN for no values."""
    q = np.asarray(q, dtype=np.float64)
    n = ordered.size
    if n == 0:
        return np.full(q.shape, np.nan)
    h = (n - 1) * q
    low = np.floor(h)
    gamma = h - low
    k = low.astype(np.int64)
    below = ordered[k]
    above = ordered[np.minimum(k + 1, n - 1)]
    diff = above - below
    out = below + diff * gamma
    np.subtract(above, diff * (1 - gamma), out=out, where=gamma >= 0.5)
    return out


def sorted_median(ordered: np.ndarray) -> float:
    """The median of the sorted values ``ordered`` as ``np.median`` computes it: the
    middle value, or the mean (x_a + x_b) / 2 of the two middle ones; NaN for none."""
    n = ordered.size
    if n == 0:
        return float("nan")
    if n % 2:
        return float(ordered[n // 2])
    return float((ordered[n // 2 - 1] + ordered[n // 2]) / 2.0)


def _remove(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ordered`` (sorted) without one copy of each of ``values`` (all present): the
    r-th repeat of a value in ``values`` takes out the r-th copy of it in ``ordered``."""
    if values.size == 0:
        return ordered
    values = np.sort(values)
    at = np.searchsorted(ordered, values, side="left")
    new_run = np.empty(values.size, dtype=bool)
    new_run[0] = True
    np.not_equal(values[1:], values[:-1], out=new_run[1:])
    index = np.arange(values.size)
    run_start = np.maximum.accumulate(np.where(new_run, index, 0))
    return np.delete(ordered, at + (index - run_start))


def _insert(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``ordered`` (sorted) with ``values`` added, still sorted."""
    if values.size == 0:
        return ordered
    values = np.sort(values)
    # Value k goes before the ordered[at_k] it does not exceed, shifted by the k values
    # placed before it (np.insert does the same, several times slower).
    at = np.searchsorted(ordered, values, side="left") + np.arange(values.size)
    out = np.empty(ordered.size + values.size, dtype=ordered.dtype)
    kept = np.ones(out.size, dtype=bool)
    kept[at] = False
    out[at] = values
    out[kept] = ordered
    return out


REBUILD_BELOW = 5_000
"""Populations smaller than this are sorted afresh at each update: a sort of a few
thousand values costs less than the dozens of small calls that find and move the
changed rows."""


class PayOrder:
    """The sorted pay of the employed engineers of each group of tiers.

    Parameters
    ----------
    groups : list of bool arrays
        Group g holds the tiers t with ``groups[g][t]`` (a tier may be in several groups).
    tier : int array
        Each engineer's tier.

    by_firm : list of int
        Tiers whose pay is also kept sorted by firm, then pay.
    rebuild_below : int
        Sort afresh at every update while there are fewer engineers than this (the same
        arrays, found faster at small sizes; :data:`REBUILD_BELOW`).

    ``sorted[g]`` is the pay of the employed engineers of group g, in increasing order, as
    of the last :meth:`update`. ``by_firm[t]`` holds, for each tier t of ``by_firm``, the
    complex numbers j + i pay of its employed engineers (j the firm) in increasing order,
    which numpy orders by real part, then imaginary part: each firm's pay is a sorted run
    of ``by_firm[t].imag``, the firms in index order. NaN pay cannot be ordered: while
    any employed engineer's pay is NaN, :attr:`valid` is False and the caller computes
    quantiles the slow way.
    """

    def __init__(self, groups: list[np.ndarray], tier: np.ndarray,
                 by_firm: list[int] | None = None, rebuild_below: int = REBUILD_BELOW
                 ) -> None:
        self.rebuild_below = rebuild_below
        self.groups = [np.asarray(g, dtype=bool) for g in groups]
        self.tier = tier
        self.sorted: list[np.ndarray] = []
        self.by_firm: dict[int, np.ndarray] = dict.fromkeys(by_firm or [], np.zeros(0, complex))
        self.valid = False
        self._firm = np.zeros(0, dtype=np.int32)
        self._pay = np.zeros(0)

    def _rebuild(self, firm: np.ndarray, pay: np.ndarray) -> None:
        employed = firm != UNEMPLOYED
        paid, tier = pay[employed], self.tier[employed]
        self.valid = not bool(np.isnan(paid).any())
        # Each tier sorted once; a group of several tiers merges its tiers' sorted runs (a
        # stable sort finds the runs and merges them; with no NaN and no zero pay, any
        # sort gives the same array).
        by_tier: dict[int, np.ndarray] = {}
        self.sorted = []
        for group in self.groups:
            tiers = [int(t) for t in np.flatnonzero(group)]
            for t in tiers:
                if t not in by_tier:
                    by_tier[t] = np.sort(paid[tier == t])
            runs = [by_tier[t] for t in tiers]
            self.sorted.append(runs[0] if len(runs) == 1 else
                               np.sort(np.concatenate(runs) if runs else np.zeros(0),
                                       kind="stable"))
        for t in self.by_firm:
            rows = employed & (self.tier == t)
            self.by_firm[t] = np.sort(firm[rows] + 1j * pay[rows])
        self._firm, self._pay = firm.copy(), pay.copy()

    def update(self, firm: np.ndarray, pay: np.ndarray) -> None:
        """Bring the sorted pay up to date with ``firm`` and ``pay`` (the engineers'
        columns now): rows whose employer or pay changed leave with their old pay (if
        they were employed) and come back with their new pay (if they are employed)."""
        if not self.valid or firm.shape != self._firm.shape or firm.size < self.rebuild_below:
            self._rebuild(firm, pay)
            return
        changed = np.flatnonzero((firm != self._firm) | (pay != self._pay))
        if changed.size == 0:
            return
        new_firm, new_pay = firm[changed], pay[changed]
        was = self._firm[changed] != UNEMPLOYED
        now = new_firm != UNEMPLOYED
        if np.isnan(new_pay[now]).any():
            self._rebuild(firm, pay)
            return
        tier = self.tier[changed]
        old_pay = self._pay[changed]
        done: dict[bytes, np.ndarray] = {}  # a group of the same tiers as one done
        for g, group in enumerate(self.groups):
            if group.tobytes() in done:
                self.sorted[g] = done[group.tobytes()]
                continue
            member = group[tier]
            ordered = _remove(self.sorted[g], old_pay[was & member])
            self.sorted[g] = done[group.tobytes()] = _insert(ordered, new_pay[now & member])
        old_firm = self._firm[changed]
        for t, keys in self.by_firm.items():
            gone, come = was & (tier == t), now & (tier == t)
            keys = _remove(keys, old_firm[gone] + 1j * old_pay[gone])
            self.by_firm[t] = _insert(keys, new_firm[come] + 1j * new_pay[come])
        self._firm[changed] = new_firm
        self._pay[changed] = new_pay
