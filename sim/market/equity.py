"""Equity and vesting: pay is salary plus stock that vests; leaving forfeits what has not.

This module is the one home of these formulas (docs/ODD.md 7.8b). Pay p_i stays total
compensation a year; firm j (by its kind, or by its name, in ``[equity]``) pays a share
s_j of it in stock. A new-hire grant is worth Y_j years of equity pay (Y_j the length of
the schedule f_1..f_Y, shares a year summing to 1) and vests monthly within each year at
that year's rate (four years with a one-year cliff; Amazon back-loads 5/15/40/40: the
domain brief). The share of a grant vested t months after it was made is

    F_j(t)   = sum_{y < floor(t/12)} f_{y+1} + f_{floor(t/12)+1} (t mod 12) / 12,  1 if t >= 12 Y
    F^c_j(t) = 0 if t < c_j else F_j(t)                 (c_j the cliff, months)

Each anniversary adds a refresh grant of rho_j x the new-hire grant, vesting like F_j (no
cliff). The unvested equity of an engineer with tenure m, in years of equity pay, is

    u_j(m) = Y_j [ (1 - F^c_j(m)) + rho_j sum_{a=1}^{floor(m/12)} (1 - F_j(m - 12 a)) ]

(periodic in m mod 12 once m >= 12 Y_j, which is how it is tabulated), and in dollars

    U_i = s_j p_i u_j(m_i) + G_i (1 - F_j(m_i))

with G_i the make-whole grant the engineer received on joining j (vesting like F_j).
Leaving forfeits U_i. Over the expected match H (``economy.match_years``) that is a
loss of U_i / H a year, which enters exactly like pay:

- **utility**: an offer from P paying p_iP with a sign-on grant G_iP is worth
  w_pay log(p_iP + (G_iP - U_i) / H)                    (:func:`offer_pay_equivalent`);
  so the switching cost grows with what would be forfeited, and a vested engineer moves
  more easily than an unvested one at the same pay gap;
- **offers**: P makes whole a share mw_P (``Policy.make_whole``) of the forfeit, as far as
  its surplus on the hire allows: G_iP = mw_P min(U_i, H max(v_iP - p_iP, 0))
  (:func:`make_whole_grant`), paid from its cash when the engineer joins;
- **bargaining**: to move the engineer P must cover the forfeit, so its bid (what it can
  offer the worker at most) is net of it, b_iP = v_iP - U_i / H (:func:`net_bid`); the
  auction of :mod:`sim.market.counteroffers` runs on b_iP, and a poacher that wins it
  makes whole in full (G = U_i) at the bargained pay.

Without ``[equity]`` (no schedule for any firm) U = 0 and nothing here is evaluated: the
model is the one without equity, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.schema import Scenario, Vesting


def vested_share(schedule: list[float] | np.ndarray, months: np.ndarray,
                 cliff: int = 0) -> np.ndarray:
    """F(t) (cliff 0) or F^c(t): share of a grant vested ``months`` after it was made."""
    f = np.asarray(schedule, dtype=np.float64)
    t = np.asarray(months, dtype=np.int64)
    years = f.size
    done = np.concatenate([[0.0], np.cumsum(f)])
    year = np.minimum(t // 12, years)
    rate = np.concatenate([f, [0.0]])[year]
    share = np.where(t >= 12 * years, 1.0, done[year] + rate * (t % 12) / 12.0)
    return np.where(t < cliff, 0.0, np.minimum(share, 1.0))


def unvested_years(vesting: Vesting, months: np.ndarray) -> np.ndarray:
    """u(m): unvested equity at tenure m, in years of equity pay (module docstring)."""
    m = np.asarray(months, dtype=np.int64)
    years = len(vesting.schedule)
    out = 1.0 - vested_share(vesting.schedule, m, vesting.cliff_months)
    if vesting.refresh > 0:
        for a in range(1, int(m.max(initial=0)) // 12 + 1):
            age = m - 12 * a
            out = out + np.where(age >= 0, vesting.refresh * (
                1.0 - vested_share(vesting.schedule, np.maximum(age, 0))), 0.0)
    return years * out


@dataclass
class EquityTables:
    """Each firm's equity terms as arrays, tabulated by tenure (built once per run).

    Row n_firms (index -1) is the unemployed: no equity."""

    share: np.ndarray
    """s_j, the share of pay paid in stock (0 for firms without a schedule)."""
    unvested: np.ndarray
    """(firms + 1) x (P + 12): u_j(m) for m < P, then one period, P = 12 max_j Y_j."""
    vesting: np.ndarray
    """(firms + 1) x (P + 12): 1 - F_j(m), the unvested share of a make-whole grant."""
    period: int
    """P: tenure from which the tables repeat with period 12."""

    def index(self, tenure: np.ndarray) -> np.ndarray:
        """Column of the tables for tenure m: m below P, else P + m mod 12."""
        m = np.maximum(tenure, 0)
        return np.where(m < self.period, m, self.period + m % 12)


def equity_terms(spec: Scenario, names: list[str], kinds: list[str]) -> dict[int, Vesting]:
    """Firm index -> its vesting terms (by name, else by kind); firms without terms omitted."""
    terms = {}
    for j, (name, kind) in enumerate(zip(names, kinds, strict=True)):
        found = spec.equity.get(name, spec.equity.get(kind))
        if found is not None and found.share > 0:
            terms[j] = found
    return terms


def build_tables(spec: Scenario, names: list[str], kinds: list[str]) -> EquityTables | None:
    """The equity tables of a run, or None if no firm pays in stock (no equity at all)."""
    terms = equity_terms(spec, names, kinds)
    if not terms:
        return None
    period = 12 * max(len(v.schedule) for v in terms.values())
    months = np.arange(period + 12)
    n = len(names)
    share = np.zeros(n + 1)
    unvested = np.zeros((n + 1, period + 12))
    vesting = np.zeros((n + 1, period + 12))
    rows: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # firms of one kind share terms
    for j, v in terms.items():
        share[j] = v.share
        # Beyond 12 Y_j the terms are periodic; tabulate one period from P on exactly.
        if id(v) not in rows:
            rows[id(v)] = (unvested_years(v, months), 1.0 - vested_share(v.schedule, months))
        unvested[j], vesting[j] = rows[id(v)]
    return EquityTables(share, unvested, vesting, period)


def unvested_equity(tables: EquityTables, firm: np.ndarray, pay: np.ndarray,
                    tenure: np.ndarray, grant: np.ndarray) -> np.ndarray:
    """U_i = s_j p_i u_j(m_i) + G_i (1 - F_j(m_i)), firm -1 (unemployed) giving 0."""
    col = tables.index(tenure)
    return (tables.share[firm] * pay * tables.unvested[firm, col]
            + grant * tables.vesting[firm, col])


def net_bid(value: np.ndarray, forfeit: np.ndarray, horizon: float) -> np.ndarray:
    """b_iP = v_iP - U_i / H: the most a poacher can offer once it covers the forfeit."""
    return value - forfeit / horizon


def make_whole_grant(share: np.ndarray, forfeit: np.ndarray, value: np.ndarray,
                     pay: np.ndarray, horizon: float) -> np.ndarray:
    """G_iP = mw_P min(U_i, H max(v_iP - p_iP, 0)): the sign-on grant of an offer."""
    return share * np.minimum(forfeit, horizon * np.maximum(value - pay, 0.0))


def offer_pay_equivalent(pay: np.ndarray, grant: np.ndarray, forfeit: np.ndarray,
                         horizon: float) -> np.ndarray:
    """p_iP + (G_iP - U_i) / H: an offer's pay net of what moving forfeits (for utility)."""
    return pay + (grant - forfeit) / horizon
