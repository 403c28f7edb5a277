"""Firm agents: who they are, what they offer, and the rules they decide by.

A firm is a Mesa agent with a name, a kind (big tech, frontier lab, AI start-up, enterprise
software...), a GPU stock in H100 equivalents, a mission (how much it is about building
frontier AI, 0..1), posted pay per engineer tier, a hiring capacity (offers a month), cash
(held in the model's ledger), an outreach capacity (personal notes or calls its leaders
make a month), and a :class:`sim.scenario.Policy` of decision rules.

Each month the firm plans (:meth:`Firm.plan`): it compares its headcount with its targets
and its cash with its burn, adjusts posted pay (adaptive pay policy) and orders GPUs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import mesa
import numpy as np

from sim.scenario.schema import (
    AMENITIES,
    GeneratedFirms,
    Policy,
    PolicyOverride,
    Scenario,
    Spread,
)


class CashBook(Protocol):
    """What a firm needs of the market's books: everyone's cash, by firm index."""

    cash: np.ndarray


class Firm(mesa.Agent):
    """A firm competing for engineers.

    Parameters
    ----------
    model : mesa.Model
        The model the firm belongs to.
    index : int
        Position of the firm in ``model.firms`` (the value of ``Engineers.firm``).
    name, kind : str
        Name and kind of firm.
    gpus : float
        GPU stock in H100 equivalents.
    mission : float
        Mission M_j in [0, 1].
    pay : numpy array
        Posted pay per tier in dollars a year for productivity 1 (0: the tier is not hired).
    hiring_capacity : float
        Most offers the firm makes in a month (``inf``: no limit).
    cash : float
        Initial cash in dollars (the ledger holds it from then on).
    outreach : int
        Personal contacts its leaders make in a month.
    size : float
        Relative weight in the initial allocation of engineers.
    tfp : float
        Revenue per unit of output (see :mod:`sim.market.production`).
    policy : Policy
        Decision rules.
    books : CashBook
        The market's books, where the firm's cash is kept.
    amenities : numpy array
        Values of :data:`sim.scenario.schema.AMENITIES` (safety focus, openness), 0..1.
    tiers : list of str
        Names of the engineer tiers (best first).
    ai_tiers : bool array
        Which tiers are AI tiers.
    policy_override : PolicyOverride
        Rules the scenario imposes over the firm's own, whatever they become.
    founded : int
        Model month the firm was founded (<= 0: it exists from the start); it hires
        nobody before then.
    valuation, headcount : float
        Reported post-money valuation (dollars) and staff at its date (NaN: none reported;
        value then follows ``tfp`` and ``expected_growth``).
    """

    def __init__(
        self,
        model: mesa.Model,
        index: int,
        name: str,
        kind: str,
        gpus: float,
        mission: float,
        pay: np.ndarray,
        hiring_capacity: float,
        cash: float,
        outreach: int,
        size: float,
        tfp: float,
        policy: Policy,
        books: CashBook,
        amenities: np.ndarray,
        tiers: list[str],
        ai_tiers: np.ndarray,
        policy_override: Any,
        founded: int = 0,
        valuation: float = math.nan,
        headcount: float = math.nan,
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.kind = kind
        self.gpus = float(gpus)
        self.mission = float(mission)
        self.pay = np.asarray(pay, dtype=np.float64).copy()
        self.hiring_capacity = float(hiring_capacity)
        self.initial_cash = float(cash)
        self.outreach = int(outreach)
        self.size = float(size)
        self.tfp = float(tfp)
        self.policy = policy
        self.set_from_python: set[str] = set()
        """Rules set by :meth:`change_policy` from Python, which a scheduled event would
        override (with a warning)."""
        self.active = True
        self.initial_heads = np.zeros(self.pay.size)
        self.last_revenue = math.nan
        self.last_payroll = math.nan
        self.books = books
        self.amenities = np.asarray(amenities, dtype=np.float64).copy()
        self.tiers = list(tiers)
        self.ai_tiers = np.asarray(ai_tiers, dtype=bool)
        self.policy_override = policy_override
        self.founded = int(founded)
        self.valuation = float(valuation)
        self.headcount = float(headcount)
        self.value_per_output = math.nan
        """nu_j: what a dollar of the firm's output (at tfp 1) is worth to it, set from its
        reported valuation per head (sim/market/production.py: price_talent); NaN where
        no valuation is reported."""
        # targets(): the tiers with a growth rate, and the targets last computed with the
        # (month, policy, initial heads) they were computed for
        self._growth: tuple[tuple[int, float, float], ...] = ()
        self._targets_key: tuple[int, Policy, np.ndarray] | None = None
        self._targets = np.zeros(0)

    def __repr__(self) -> str:
        return f"Firm({self.name!r}, kind={self.kind!r}, gpus={self.gpus:,.0f})"

    @property
    def cash(self) -> float:
        """Cash in dollars (from the market's books)."""
        return float(self.books.cash[self.index])

    # ------------------------------------------------------------------ targets and pressure

    def targets(self, month: int) -> np.ndarray:
        """Target headcount per tier: max(H_t(0), 1) (1 + growth_t)^(month / 12), inf
        without a growth rate (a tier empty at month 0 starts from a target of 1)."""
        # Read several times a month: kept for the month, policy and initial heads it was
        # computed for (each is replaced, not changed in place, when it changes); without
        # a growth rate the targets are the same every month.
        policy, initial = self.policy, self.initial_heads
        key = self._targets_key
        if key is None or key[1] is not policy or key[2] is not initial:
            # (tier, max(H_t(0), 1), 1 + growth_t) of the tiers with a growth rate
            self._growth = tuple((t, max(initial[t], 1.0), 1.0 + growth)
                                 for t, name in enumerate(self.tiers)
                                 if (growth := policy.growth.get(name)) is not None)
        elif key[0] == month or not self._growth:
            return self._targets
        out = np.full(self.pay.size, np.inf)
        for t, base, factor in self._growth:
            out[t] = base * factor ** (month / 12.0)
        out.flags.writeable = False  # shared by every caller this month
        self._targets_key = (month, policy, initial)
        self._targets = out
        return out

    def runway(self) -> float:
        """Months of cash at last month's burn, cash / (payroll - revenue); inf if not
        burning (or before the first month's accounts)."""
        burn = self.last_payroll - self.last_revenue
        if not burn > 0:
            return math.inf
        return self.cash / burn

    def margin(self) -> float:
        """Last month's operating margin (revenue - payroll) / revenue."""
        if not self.last_revenue > 0:
            return -math.inf if self.last_payroll > 0 else math.inf
        return (self.last_revenue - self.last_payroll) / self.last_revenue

    def under_pressure(self) -> bool:
        """Short cash runway, or a margin below what investors demand."""
        target = self.policy.margin_target
        return self.runway() < self.policy.runway_months or (
            target is not None and self.margin() < target
        )

    def remember_month(self, revenue: float, payroll: float) -> None:
        """Keep this month's accounts for next month's plans."""
        self.last_revenue = float(revenue)
        self.last_payroll = float(payroll)

    def change_policy(self, override: Mapping[str, Any] | Any, *,
                      scheduled: str | None = None) -> None:
        """Change some decision rules from now on (a user's
        ``firm.change_policy({"counter_offer": "beat"})``, or a ``policy_change`` event,
        ``scheduled`` naming it); the scenario's ``policy_override`` still has the last
        word. A scheduled change of a rule set from Python warns (``UserWarning``) that it
        overrides it."""
        if isinstance(override, Mapping):
            override = PolicyOverride.model_validate(dict(override))
        keys = {k for k, v in override.model_dump().items() if v is not None}
        if scheduled is None:
            self.set_from_python |= keys
        else:
            undone = sorted(keys & self.set_from_python)
            if undone:
                warnings.warn(f"{scheduled} sets {', '.join(undone)} of {self.name}, "
                              "overriding what change_policy set from Python",
                              UserWarning, stacklevel=2)
                self.set_from_python -= set(undone)
        self.policy = self.policy.updated(override, self.policy_override)

    # ------------------------------------------------------------------ the monthly plan

    def hiring(self, heads: np.ndarray, month: int) -> np.ndarray:
        """Tiers the firm hires this month: it pays the tier and is below its target; a
        firm short of runway hires nobody (a hiring freeze), and one under margin pressure
        hires only AI tiers (it cuts the others while it bids for AI talent)."""
        if (not self.active or month < self.founded or self.cash <= 0
                or self.runway() < self.policy.runway_months):
            return np.zeros(self.pay.size, dtype=bool)
        open_ = (self.pay > 0) & (heads < self.targets(month))
        if self.under_pressure():
            open_ &= self.ai_tiers
        return open_

    def plan(self, heads: np.ndarray, hires: np.ndarray, quits: np.ndarray,
             offers: np.ndarray, value_cap: np.ndarray, month: int, on_order: float,
             gpu_price: float) -> int:
        """Adjust posted pay and decide the GPU order; return the H100s to order (0: none).

        The rules of :func:`plan_pay_and_orders` (one row: this firm); ``offers``,
        ``hires`` and ``quits`` are last month's, by tier; ``value_cap`` is the most its
        posted pay may rise to (:func:`sim.market.planning.posted_pay_caps`; infinite: no
        cap)."""
        pay, quantity = plan_pay_and_orders(
            self.pay[None], heads[None], hires[None], quits[None], offers[None],
            value_cap[None], self.targets(month)[None], np.array([self.runway()]),
            policy_arrays((self.policy,)), np.array([self.gpus]), np.array([on_order]),
            np.array([self.cash]), gpu_price)
        self.pay = pay[0]
        return int(quantity[0])


@dataclass(frozen=True)
class PolicyArrays:
    """The rules :func:`plan_pay_and_orders` reads, one entry per firm (NaN: no GPU
    target)."""

    adaptive: np.ndarray
    runway_months: np.ndarray
    cut_rate: np.ndarray
    raise_rate: np.ndarray
    gpu_target: np.ndarray
    gpu_budget_share: np.ndarray


def policy_arrays(policies: Sequence[Policy]) -> PolicyArrays:
    """:class:`PolicyArrays` of ``policies``, one entry per firm."""
    return PolicyArrays(
        adaptive=np.array([p.pay_policy == "adaptive" for p in policies], dtype=bool),
        runway_months=np.array([p.runway_months for p in policies], dtype=np.float64),
        cut_rate=np.array([p.cut_rate for p in policies], dtype=np.float64),
        raise_rate=np.array([p.raise_rate for p in policies], dtype=np.float64),
        gpu_target=np.array([math.nan if p.gpu_target is None else p.gpu_target
                             for p in policies], dtype=np.float64),
        gpu_budget_share=np.array([p.gpu_budget_share for p in policies], dtype=np.float64))


def plan_pay_and_orders(pay: np.ndarray, heads: np.ndarray, hires: np.ndarray,
                        quits: np.ndarray, offers: np.ndarray, value_cap: np.ndarray,
                        targets: np.ndarray, runway: np.ndarray, policies: PolicyArrays,
                        gpus: np.ndarray, on_order: np.ndarray, cash: np.ndarray,
                        gpu_price: float) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's posted pay after this month's plan, and the H100s it orders (firms x
    tiers arrays: pay, heads, last month's hires, quits and offers, the value caps and
    targets; one value a firm: runway, GPUs, GPUs on order, cash).

    Adaptive pay (Policy.pay_policy) answers the market the firm met last month, the
    wage-posting response of a firm with monopsony power that cannot fill its vacancies
    (Burdett and Mortensen 1998; Manning 2003). Posted pay of tier t rises while the
    firm is short of people in t (below target, or, without a target, losing more
    than it hires) in proportion to the share of its offers that were declined:

        p_t <- min(p_t (1 + raise_rate * d_t), value_cap_t),
        d_t  = (offers_t - hires_t) / offers_t   (0 if it made no offers),

    never lowering pay. A firm whose offers are all taken, or that made none, has no
    reason to pay more (its shortfall is one of candidates, not of pay): there is no
    drift. Pay freezes when runway is short and falls by cut_rate when runway is
    below half of ``runway_months``. ``value_cap`` may be infinite (no cap); a cap of 0
    (a firm without cash: :func:`sim.market.planning.posted_pay_caps`) raises no pay.
    GPU orders: if gpus + ``on_order`` < gpu_target, order the gap, spending at most
    gpu_budget_share of cash at ``gpu_price``, unless runway is short (whole H100s, at
    least one; 0: no order).
    """
    months = policies.runway_months
    cut = policies.adaptive & (runway < months / 2)
    respond = policies.adaptive & ~cut & (runway >= months)
    out = pay.copy()
    if cut.any():
        out[cut] = pay[cut] * (1.0 - policies.cut_rate[cut, None])
    if respond.any():
        p = pay[respond]
        short = np.where(np.isfinite(targets[respond]), heads[respond] < targets[respond],
                         quits[respond] > hires[respond])
        made = offers[respond]
        declined = np.divide(np.clip(made - hires[respond], 0.0, None), made,
                             out=np.zeros(p.shape), where=made > 0)
        raise_ = short & (p > 0) & (declined > 0)
        raised = p * (1.0 + policies.raise_rate[respond, None] * declined)
        capped = np.minimum(raised, value_cap[respond])
        out[respond] = np.where(raise_, np.maximum(p, capped), p)
    quantity = np.zeros(pay.shape[0])
    order = np.isfinite(policies.gpu_target) & (runway >= months)
    if order.any():
        gap = policies.gpu_target[order] - gpus[order] - on_order[order]
        wanted = np.minimum(gap, policies.gpu_budget_share[order] * cash[order] / gpu_price)
        quantity[order] = np.where(wanted >= 1, np.floor(wanted), 0.0)
    return out, quantity


# ---------------------------------------------------------------------- creation


@dataclass(frozen=True)
class FirmSpec:
    """One firm's initial state, resolved from the scenario (pay in dollars a year)."""

    name: str
    kind: str
    gpus: float
    mission: float
    pay: np.ndarray
    hiring_capacity: float
    cash: float
    outreach: int
    size: float
    tfp: float
    policy: Policy
    amenities: tuple[float, ...]
    founded: int = 0
    team: tuple[float, ...] = ()
    """Initial headcount per tier (NaN: placed by size)."""
    valuation: float = math.nan
    headcount: float = math.nan


def per_year(scenario: Scenario) -> float:
    """Pay periods in a year: 12 if the scenario states pay a month, else 1."""
    return 12.0 if scenario.market.pay_period == "month" else 1.0


def firm_specs(scenario: Scenario, rng: np.random.Generator) -> list[FirmSpec]:
    """The named firms, then the generated groups, in file order (names are unique: the
    scenario's validation checks it)."""
    tiers = list(scenario.tiers)
    year = per_year(scenario)
    specs: list[FirmSpec] = []
    for name, spec in scenario.firms.items():
        specs.append(FirmSpec(
            name=name, kind=spec.kind, gpus=spec.gpus, mission=spec.mission,
            pay=np.array([spec.pay.get(t, 0.0) for t in tiers]) * year,
            hiring_capacity=np.inf if spec.hiring_capacity is None else spec.hiring_capacity,
            cash=spec.cash, outreach=spec.outreach, size=spec.size, tfp=spec.tfp,
            policy=_policy(scenario, spec.policy),
            amenities=tuple(getattr(spec.amenities, a) for a in AMENITIES),
            founded=0 if spec.founded is None else scenario.month_of(spec.founded),
            team=tuple(float(spec.team.get(t, math.nan)) for t in tiers),
            valuation=math.nan if spec.valuation is None else spec.valuation,
            headcount=math.nan if spec.headcount is None else float(spec.headcount),
        ))
    for group in scenario.generated_firms:
        specs.extend(_generate(group, tiers, year, rng, _policy(scenario, group.policy)))
    return specs


def create_firms(model: mesa.Model, scenario: Scenario, specs: list[FirmSpec],
                 books: CashBook, ai_tiers: np.ndarray) -> list[Firm]:
    """The Firm agents of ``specs``, in order (a firm's index is its position)."""
    tiers = list(scenario.tiers)
    return [
        Firm(model, index, name=s.name, kind=s.kind, gpus=s.gpus, mission=s.mission,
             pay=s.pay, hiring_capacity=s.hiring_capacity, cash=s.cash, outreach=s.outreach,
             size=s.size, tfp=s.tfp, policy=s.policy, books=books,
             amenities=np.array(s.amenities), tiers=tiers,
             ai_tiers=ai_tiers, policy_override=scenario.policy_override,
             founded=s.founded, valuation=s.valuation, headcount=s.headcount)
        for index, s in enumerate(specs)
    ]


def _policy(scenario: Scenario, own: Any) -> Policy:
    """A firm's rules: the defaults, then what the firm sets itself, then the scenario's
    policy_override."""
    return scenario.firm_defaults.updated(own, scenario.policy_override)


def spread(value: float | Spread, n: int, rng: np.random.Generator) -> np.ndarray:
    """Values of a generated field for n firms (see :class:`sim.scenario.schema.Spread`):
    even steps from min to max, uniform draws, or log-uniform draws."""
    if not isinstance(value, Spread):
        return np.full(n, float(value))
    if value.spread == "even":
        return np.linspace(value.min, value.max, n) if n > 1 else np.array([value.min])
    if value.spread == "uniform":
        return rng.uniform(value.min, value.max, n)
    return np.exp(rng.uniform(np.log(value.min), np.log(value.max), n))


def _generate(group: GeneratedFirms, tiers: list[str], year: float,
              rng: np.random.Generator, policy: Policy) -> list[FirmSpec]:
    n = group.count
    values = {key: spread(getattr(group, key), n, rng) for key in ("gpus", "mission", "cash",
                                                                    "size", "tfp")}
    pay = np.column_stack([spread(group.pay.get(t, 0.0), n, rng) for t in tiers]) * year
    names = group.names()
    return [FirmSpec(
        name=names[k], kind=group.kind,
        gpus=values["gpus"][k], mission=values["mission"][k], pay=pay[k],
        hiring_capacity=np.inf if group.hiring_capacity is None else group.hiring_capacity,
        cash=values["cash"][k], outreach=group.outreach, size=values["size"][k],
        tfp=values["tfp"][k], policy=policy,
        amenities=tuple(getattr(group.amenities, a) for a in AMENITIES),
    ) for k in range(n)]
