"""The market the phases work on: one typed state, and one typed record of each month.

:class:`MarketState` holds everything a phase reads or changes: the scenario, the random
generator, the engineers, the firms and their :class:`FirmTable` (the firms' state as
arrays, for the vectorised market), the ledger, the GPU queue, the timeline, the deals done
and the leavers they will lose, and :class:`MonthLog`, what the current month has done so
far (every move, and the tallies of what firms did). A phase takes the state and changes it
or records into its month log; nothing else is shared between phases.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from sim.agents.engineers import UNEMPLOYED, Engineers
from sim.agents.firms import Firm, PolicyArrays, policy_arrays
from sim.market.equity import EquityTables, unvested_equity
from sim.market.gpu_queue import GpuMarket
from sim.market.ledger import Ledger
from sim.market.moves import Moves, Offers
from sim.market.timeline import Timeline, calendar_month
from sim.scenario.schema import Event, Scenario

COUNTER_CODES = {"never": 0, "match": 1, "beat": 2}
"""Counter-offer policies as the integer codes of :attr:`FirmTable.counter_offer`."""


@dataclass
class FirmTable:
    """The firms' state as arrays (index j is firm j), gathered from the Firm agents at the
    start of each month's market and again at its end
    (:func:`sim.market.planning.refresh_table`).

    Cash is not copied here: it is read from the ledger, ``MarketState.ledger.cash``.
    """

    gpus: np.ndarray
    mission: np.ndarray
    amenities: np.ndarray
    """(firms x amenities) values of :data:`sim.scenario.schema.AMENITIES`."""
    hiring_capacity: np.ndarray
    outreach: np.ndarray
    size: np.ndarray
    tfp: np.ndarray
    pay: np.ndarray
    """(firms x tiers) posted pay, dollars a year for productivity 1."""
    active: np.ndarray
    open: np.ndarray
    """(firms x tiers) whether the firm hires the tier this month."""
    vacancies: np.ndarray
    """(firms x tiers) offers the firm may make in the tier: ceil(target - heads) if open."""
    counter_offer: np.ndarray
    """The counter-offer policy's code (:data:`COUNTER_CODES`)."""
    beat_margin: np.ndarray
    retention_calls: np.ndarray
    retention_call_cost: np.ndarray
    gpu_pull: np.ndarray
    """g(GPU_j) of :func:`sim.market.utility.gpu_pull`."""
    factor: np.ndarray
    """(firms x tiers) factor of output into revenue (production.compute_factor)."""
    horizon: np.ndarray
    """Gamma_j, the firm's horizon multiplier (production.horizon_multiplier)."""
    value_factor: np.ndarray
    """(firms x tiers) factor of output into the forward value of talent, factor x Gamma_j."""
    make_whole: np.ndarray
    """mw_j, the share of a poached engineer's forfeit the firm's offers make whole."""
    max_pay_share: np.ndarray
    """kappa_j, the most of its cash the firm commits to one engineer's annual pay
    (Policy.max_pay_share; the ceiling C_j = kappa_j cash_j,
    :func:`sim.market.production.pay_ceiling`)."""
    source: tuple[Any, ...] = field(default=(), repr=False, compare=False)
    """What the firms' numbers, rules and derived columns were computed from
    (:func:`sim.market.planning.firm_table` shares them with the next table where it is
    the same)."""


@dataclass
class Tallies:
    """What each firm did this month (arrays over firms), for the records."""

    counter_offers: np.ndarray
    counter_offers_accepted: np.ndarray
    retention_calls: np.ndarray
    retention_kept: np.ndarray
    gpu_ordered: np.ndarray
    gpu_arrived: np.ndarray
    revenue: np.ndarray
    funding: np.ndarray
    pay_bill: np.ndarray
    deals: np.ndarray
    deals_blocked: np.ndarray
    exits: np.ndarray
    layoffs: np.ndarray
    """(firms x tiers) engineers laid off."""
    outreach_contacts: np.ndarray
    outreach_hires: np.ndarray

    @classmethod
    def zeros(cls, n_firms: int, n_tiers: int) -> Tallies:
        """Nothing done yet."""
        tallies = {name: np.zeros(n_firms) for name in _AMOUNTS}
        tallies["layoffs"] = np.zeros((n_firms, n_tiers), dtype=np.int64)
        tallies["outreach_contacts"] = np.zeros(n_firms, dtype=np.int64)
        tallies["outreach_hires"] = np.zeros(n_firms, dtype=np.int64)
        return cls(**tallies)


_AMOUNTS = tuple(f.name for f in fields(Tallies)
                 if f.name not in ("layoffs", "outreach_contacts", "outreach_hires"))
"""The tallies held as floats, one per firm (the others count people: integers)."""


@dataclass
class MonthLog:
    """The record of one month: every move in the order it happened, the offers made,
    the searchers, and the tallies."""

    tallies: Tallies
    moves: list[Moves] = field(default_factory=list)
    offers: Offers = field(default_factory=Offers.empty)
    searchers: int = 0

    def all_moves(self) -> Moves:
        """Every move of the month, in order."""
        return Moves.concat(self.moves)

    def moved_by(self, kind: int) -> np.ndarray:
        """Engineers moved this month by moves of ``kind``."""
        parts = [m.engineer[m.kind == kind] for m in self.moves]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


@dataclass
class DealRecord:
    """One row of ``deals.csv``."""

    month: int
    date: str
    origin: str
    """``scheduled`` (a dated ``forced_deal`` of the timeline) or ``model`` (seek_deals)."""
    buyer: str
    target: str
    form: str
    price: float
    """The price as the source defines it: the acquisition price, or the licence fee of a
    license-and-hire deal (for a scheduled deal, the event's price). Retention packages
    are not added to it."""
    licence_fee: float
    retention_packages: float
    buyer_cost: float
    """What the buyer paid in all: the price (acquisition, packages paid out of it) or the
    licence fee plus the retention packages (license-and-hire)."""
    engineers_moved: int
    left_after: int
    price_per_engineer: float
    premium: float
    valuation: float
    blocked: bool
    reason: str

    def as_row(self) -> dict[str, Any]:
        """The record as a plain dict."""
        return asdict(self)


@dataclass
class Departures:
    """Engineers moved by a deal who will leave, and when."""

    deal: int
    engineers: np.ndarray
    month: np.ndarray


@dataclass
class MarketState:
    """Everything the phases of a month work on (see the module docstring)."""

    spec: Scenario
    rng: np.random.Generator
    engineers: Engineers
    firms: list[Firm]
    ledger: Ledger
    gpus: GpuMarket
    timeline: Timeline
    table: FirmTable
    log: MonthLog
    tier_output: np.ndarray
    """q_t, monthly output of a productivity-1 engineer of each tier."""
    benefit: float
    """Unemployment benefit, dollars a year."""
    firm_names: list[str]
    search_multiplier: np.ndarray
    """Scale of lambda1 for employees of firm j this month (turmoil); one more entry than
    there are firms, for the unemployed (index -1), always 1."""
    heads: np.ndarray
    """(firms x tiers) headcounts as the last month ended."""
    last_hires: np.ndarray
    """(firms x tiers) hires of each firm last month."""
    last_quits: np.ndarray
    """(firms x tiers) job-to-job quits from each firm last month."""
    last_offers: np.ndarray
    """(firms x tiers) offers each firm made last month (taken or declined)."""
    employed_at_start: int
    """Engineers employed at the start of the month (the job-to-job rate's base)."""
    values_amenities: bool
    """Whether any engineer values a firm amenity (the amenity term is skipped if not)."""
    month: int = 0
    """The current model month (month 0 is the initial state)."""
    deal_records: list[DealRecord] = field(default_factory=list)
    departures: list[Departures] = field(default_factory=list)
    deal_teams: list[np.ndarray] = field(default_factory=list)
    """The target's engineers at each deal attempt, done or blocked, in the order of
    ``deal_records`` (where they work at the end is ``deal_teams.csv``)."""
    equity: EquityTables | None = None
    """Each firm's equity terms (sim/market/equity.py); None: no firm pays in stock."""
    unapplied: list[str] = field(default_factory=list)
    """Funding rounds, GPU stock events and forced deals of the timeline that did nothing
    because a firm they name had left the market (bought, or exited) by their month, one
    sentence each (the run's warnings)."""
    _unit_output: np.ndarray | None = field(default=None, repr=False)
    _policies: tuple[tuple[Any, ...], PolicyArrays] | None = field(default=None, repr=False)

    def note_unapplied(self, event: Event, gone: str) -> None:
        """Note (:attr:`unapplied`) that ``event`` did nothing because the firm ``gone``
        had left the market by its month."""
        names = ", ".join(f"{key} {getattr(event, key)}" for key in ("firm", "buyer", "target")
                          if getattr(event, key, None) is not None)
        kind = getattr(event, "type", "")
        self.unapplied.append(
            f"the {kind} event of {event.month} ({names}) did nothing: {gone} had left the "
            f"market by month {self.month} (bought, or unable to pay)")

    def policy_arrays(self, firms: list[Firm]) -> PolicyArrays:
        """:func:`sim.agents.firms.policy_arrays` of the rules of ``firms``, kept while the
        firms and their rules are the same objects (a rule changes by a new policy, never
        in place), so a month whose rules did not change does not gather them again."""
        policies = tuple(f.policy for f in firms)
        kept = self._policies
        if kept is None or len(kept[0]) != len(policies) or any(
                a is not b for a, b in zip(kept[0], policies, strict=True)):
            kept = (policies, policy_arrays(policies))
            self._policies = kept
        return kept[1]

    def unit_output(self) -> np.ndarray:
        """a_i q_t, each engineer's monthly output at a factor of 1 (productivity times its
        tier's output), computed once: neither changes during a run."""
        if self._unit_output is None:
            eng = self.engineers
            self._unit_output = eng.productivity * self.tier_output[eng.tier]
        return self._unit_output

    def refresh_unvested(self, who: np.ndarray | None = None) -> None:
        """Recompute the unvested equity U_i of engineers ``who`` (default: everyone) from
        pay, tenure and sign-on grants (:func:`sim.market.equity.unvested_equity`);
        nothing without equity. The market refreshes only the engineers holding offers,
        when it needs their U_i (a whole-population pass costs 40 ms a month at a million
        engineers)."""
        if self.equity is None:
            return
        eng = self.engineers
        if who is None:
            eng.unvested = unvested_equity(self.equity, eng.firm, eng.pay, eng.tenure,
                                           eng.sign_on)
        else:
            eng.unvested[who] = unvested_equity(self.equity, eng.firm[who], eng.pay[who],
                                                eng.tenure[who], eng.sign_on[who])

    @property
    def n_firms(self) -> int:
        """Number of firms, active or not."""
        return len(self.firms)

    @property
    def n_tiers(self) -> int:
        """Number of engineer tiers."""
        return len(self.engineers.tier_names)

    def active_firms(self) -> list[Firm]:
        """Firms still in the market."""
        return [f for f in self.firms if f.active]

    def members(self, j: int) -> np.ndarray:
        """Indices of firm j's engineers."""
        return np.flatnonzero(self.engineers.firm == j)

    def firm_index(self, name: str) -> int:
        """Index of the firm called ``name``."""
        try:
            return self.firm_names.index(name)
        except ValueError:
            raise KeyError(f"no firm called {name!r}") from None

    def date(self, month: int | None = None) -> str:
        """The calendar month (YYYY-MM) of ``month`` (default: the current month)."""
        return calendar_month(self.spec.start, self.month if month is None else month)

    def funding_multiplier(self) -> float:
        """The funding climate this month (1 normally; > 1 a boom, < 1 a winter)."""
        return self.timeline.funding_multiplier(self.month)

    def gpu_supply_multiplier(self) -> float:
        """GPU supply this month relative to normal."""
        return self.timeline.supply_multiplier(self.month)

    def record(self, moves: Moves) -> Moves:
        """Add moves to this month's log; return them."""
        self.log.moves.append(moves)
        return moves

    def headcount(self) -> np.ndarray:
        """Employees of each firm by tier now: a (firms x tiers) integer array."""
        eng = self.engineers
        # One count of (place, tier) codes, places shifted by one so that the unemployed
        # count in the first row, which is dropped.
        n_tiers = self.n_tiers
        # in the index type bincount counts in, in one pass
        code = np.multiply(eng.firm, n_tiers, dtype=np.intp)
        code += eng.tier
        code += n_tiers
        counts = np.bincount(code, minlength=(self.n_firms + 1) * n_tiers)
        return counts.reshape(self.n_firms + 1, n_tiers)[1:]

    def employed(self) -> np.ndarray:
        """Mask of the employed engineers."""
        return self.engineers.firm != UNEMPLOYED
