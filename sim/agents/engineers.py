"""The engineer population, held as columns: one numpy array per attribute.

Each engineer is an individual with its own state (tier, productivity, employer, pay,
tenure) and its own preferences (weights of pay, GPU access, mission and outreach, mission
preference, responsiveness, search rates). Holding them as columns rather than one Python
object each is what lets the market scale to millions of engineers; :meth:`Engineers.view`
(and ``TalentMarket.engineer(i)``) gives a handy look at one of them.

Engineers are stored sorted by tier, so ``Engineers.tier_slice(t)`` is a contiguous block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.scenario.schema import Productivity

UNEMPLOYED = -1
"""Value of ``Engineers.firm`` for an engineer without a job."""

WEIGHTS = ("pay", "gpu", "mission", "outreach")
TASTES = ("safety", "openness")
"""Weights of firm amenities (:data:`sim.scenario.schema.AMENITIES`), drawn like
:data:`WEIGHTS` but only for tiers whose mean taste is positive (otherwise 0, and no random
draw, so scenarios without amenities keep their random streams)."""


def draw_productivity(spec: Productivity, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``n`` productivities with mean 1.

    - lognormal: a = exp(sigma z - sigma^2 / 2), z ~ N(0, 1);
    - pareto: a = (alpha - 1) / alpha * x, x ~ Pareto(alpha) with x >= 1, so E[a] = 1;
    each capped at ``spec.cap``.
    """
    if spec.distribution == "none":
        return np.ones(n)
    if spec.distribution == "lognormal":
        a = np.exp(spec.sigma * rng.standard_normal(n) - spec.sigma**2 / 2)
    else:
        a = (spec.alpha - 1) / spec.alpha * (1.0 + rng.pareto(spec.alpha, n))
    return np.minimum(a, spec.cap)


def spread_lognormal(mean: float, dispersion: float, n: int, rng: np.random.Generator):
    """Individual values with the given mean: mean * exp(s z - s^2 / 2), z ~ N(0, 1)."""
    if dispersion == 0.0:
        return np.full(n, mean)
    return mean * np.exp(dispersion * rng.standard_normal(n) - dispersion**2 / 2)


@dataclass(frozen=True)
class EngineerView:
    """A read-only snapshot of one engineer (for looking, not for the hot path)."""

    id: int
    tier: str
    productivity: float
    firm: str | None
    pay: float
    tenure: int
    mission_preference: float
    responsiveness: float
    search_employed: float
    search_unemployed: float
    w_pay: float
    w_gpu: float
    w_mission: float
    w_outreach: float
    w_safety: float
    w_openness: float


class Engineers:
    """Columns of engineer state. Index ``i`` is engineer ``i`` in every array.

    Attributes
    ----------
    tier : int8 array
        Tier index (0 is the top tier).
    productivity : float array
        Output relative to the tier's average (mean 1); offered pay scales with it.
    firm : int32 array
        Employer's index in ``TalentMarket.firms``, or ``UNEMPLOYED`` (-1).
    pay : float array
        Current pay in dollars a year (0 when unemployed).
    tenure : int32 array
        Months with the current employer (or in unemployment); vesting follows it.
    sign_on : float array
        The make-whole grant received on joining the current employer, dollars (0 without
        equity); it vests on the employer's schedule (sim/market/equity.py).
    unvested : float array
        Unvested equity U_i, dollars: what leaving would forfeit (0 without equity;
        recomputed each month from pay, tenure and sign_on by the labour market).
    mission : float array
        Mission preference m_i in [0, 1].
    responsiveness : float array
        Chance of considering an outreach offer when not searching.
    search_employed, search_unemployed : float arrays
        Monthly chances of searching when employed (lambda1_i) and of getting an offer when
        unemployed (lambda0_i).
    w_pay, w_gpu, w_mission, w_outreach : float arrays
        The engineer's own utility weights.
    w_safety, w_openness : float arrays
        The engineer's own weights of firm amenities (0 unless its tier values them).
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        tiers = list(scenario.tiers.values())
        self.tier_names = list(scenario.tiers)
        self.tier_ai = np.array([t.ai for t in tiers])
        n = scenario.market.engineers
        shares = np.array([t.share for t in tiers])
        counts = _largest_remainder(n, shares / shares.sum())
        self.bounds = np.concatenate([[0], np.cumsum(counts)])
        self.n = n
        self.tier = np.repeat(np.arange(len(tiers), dtype=np.int8), counts)
        self.separation = np.array([t.separation for t in tiers])
        self.bargaining = np.array([t.bargaining_power for t in tiers])
        """beta_t, the bargaining power of each tier (counter-offer auctions)."""

        columns: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                ["productivity", "mission", "responsiveness"]
                + ["search_employed", "search_unemployed"]
                + [f"w_{w}" for w in (*WEIGHTS, *TASTES)]
            )
        }
        for spec, count in zip(tiers, counts, strict=True):
            columns["productivity"].append(draw_productivity(spec.productivity, count, rng))
            low, high = spec.mission_preference
            columns["mission"].append(rng.uniform(low, high, count))
            low, high = spec.responsiveness
            columns["responsiveness"].append(rng.uniform(low, high, count))
            for key in ("search_employed", "search_unemployed"):
                rate = spread_lognormal(getattr(spec, key), spec.search_dispersion, count, rng)
                columns[key].append(np.clip(rate, 0.0, 1.0))
            # Keep delta + lambda1 <= 1: the two are exclusive events of one month.
            columns["search_employed"][-1] = np.minimum(
                columns["search_employed"][-1], 1.0 - spec.separation
            )
            for w in WEIGHTS:
                mean = getattr(spec.weights, w)
                columns[f"w_{w}"].append(
                    spread_lognormal(mean, spec.weights.dispersion, count, rng)
                )
            for w in TASTES:
                mean = getattr(spec.weights, w)
                columns[f"w_{w}"].append(
                    spread_lognormal(mean, spec.weights.dispersion, count, rng) if mean > 0
                    else np.zeros(count))
        # float64 columns (concatenate makes a new array: converted, not copied again,
        # where it is float64 already)
        joined = {key: np.concatenate(parts).astype(np.float64, copy=False)
                  for key, parts in columns.items()}
        self.productivity: np.ndarray = joined["productivity"]
        self.mission: np.ndarray = joined["mission"]
        self.responsiveness: np.ndarray = joined["responsiveness"]
        self.search_employed: np.ndarray = joined["search_employed"]
        self.search_unemployed: np.ndarray = joined["search_unemployed"]
        self.w_pay: np.ndarray = joined["w_pay"]
        self.w_gpu: np.ndarray = joined["w_gpu"]
        self.w_mission: np.ndarray = joined["w_mission"]
        self.w_outreach: np.ndarray = joined["w_outreach"]
        self.w_safety: np.ndarray = joined["w_safety"]
        self.w_openness: np.ndarray = joined["w_openness"]

        self.firm: np.ndarray = np.full(n, UNEMPLOYED, dtype=np.int32)
        self.pay: np.ndarray = np.zeros(n)
        self.tenure: np.ndarray = np.zeros(n, dtype=np.int32)
        self.sign_on: np.ndarray = np.zeros(n)
        self.unvested: np.ndarray = np.zeros(n)
        self._thresholds: tuple[object, object, np.ndarray, np.ndarray] | None = None

    def event_thresholds(self) -> tuple[np.ndarray, np.ndarray]:
        """Each engineer's delta_i and delta_i + lambda1_i (its tier's separation rate, and
        that plus its own search rate when employed): the cut-offs of the month's one
        uniform draw (:func:`sim.market.matching.draw_events`).

        Kept from month to month: neither rate changes during a run (a new array of
        ``separation`` or ``search_employed`` is noticed and the cut-offs made again).
        The same numbers as computed each month: the same additions, element by
        element."""
        key = self._thresholds
        if key is None or key[0] is not self.separation or key[1] is not self.search_employed:
            delta = np.repeat(self.separation, np.diff(self.bounds))  # sorted by tier
            key = (self.separation, self.search_employed, delta, delta + self.search_employed)
            self._thresholds = key
        return key[2], key[3]

    def move(self, who: np.ndarray, destination: int | np.ndarray,
             pay: float | np.ndarray, grant: float | np.ndarray = 0.0) -> np.ndarray:
        """Engineers ``who`` take their place at ``destination`` (a firm index, or
        ``UNEMPLOYED``) at pay ``pay`` with make-whole grant ``grant``, with tenure 0; what
        they had not vested is forfeited (``unvested`` 0 until the market recomputes it);
        return where they were.

        The one way an engineer changes place (:func:`sim.market.moves.move` records it)."""
        source = self.firm[who].copy()
        self.firm[who] = destination
        self.pay[who] = pay
        self.tenure[who] = 0
        self.sign_on[who] = grant
        self.unvested[who] = 0.0
        return source

    def tier_slice(self, t: int) -> slice:
        """The contiguous block of engineers of tier ``t``."""
        return slice(int(self.bounds[t]), int(self.bounds[t + 1]))

    def view(self, i: int, firm_names: list[str]) -> EngineerView:
        """A snapshot of engineer ``i``."""
        if not 0 <= i < self.n:
            raise IndexError(f"engineer {i} does not exist (0..{self.n - 1})")
        firm = int(self.firm[i])
        return EngineerView(
            id=i,
            tier=self.tier_names[self.tier[i]],
            productivity=float(self.productivity[i]),
            firm=None if firm == UNEMPLOYED else firm_names[firm],
            pay=float(self.pay[i]),
            tenure=int(self.tenure[i]),
            mission_preference=float(self.mission[i]),
            responsiveness=float(self.responsiveness[i]),
            search_employed=float(self.search_employed[i]),
            search_unemployed=float(self.search_unemployed[i]),
            w_pay=float(self.w_pay[i]),
            w_gpu=float(self.w_gpu[i]),
            w_mission=float(self.w_mission[i]),
            w_outreach=float(self.w_outreach[i]),
            w_safety=float(self.w_safety[i]),
            w_openness=float(self.w_openness[i]),
        )

    FIXED_COLUMNS = frozenset({
        "id", "tier", "productivity", "mission_preference", "responsiveness",
        "search_employed", "search_unemployed", "w_pay", "w_gpu", "w_mission", "w_outreach",
        "w_safety", "w_openness"})
    """The columns of :meth:`columns` drawn with the population and never changed after:
    their text may be made while the market runs (a run's writer checks that they did not
    change)."""

    def columns(self) -> dict[str, np.ndarray]:
        """Every column, for writing the final state (``engineers.csv.gz``)."""
        return {
            "id": np.arange(self.n),
            "tier": self.tier,
            "productivity": self.productivity,
            "firm": self.firm,
            "pay": self.pay,
            "tenure": self.tenure,
            "mission_preference": self.mission,
            "responsiveness": self.responsiveness,
            "search_employed": self.search_employed,
            "search_unemployed": self.search_unemployed,
            "w_pay": self.w_pay,
            "w_gpu": self.w_gpu,
            "w_mission": self.w_mission,
            "w_outreach": self.w_outreach,
            "w_safety": self.w_safety,
            "w_openness": self.w_openness,
        }


def _largest_remainder(n: int, shares: np.ndarray) -> np.ndarray:
    """Split ``n`` into integer counts proportional to ``shares`` (Hamilton's method)."""
    exact = n * shares
    counts = np.floor(exact).astype(np.int64)
    short = n - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts
