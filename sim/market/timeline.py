"""The calendar and the scenario's dated timeline, resolved once when the model is built.

Calendar months (YYYY-MM) become model months (month 0 is the scenario's ``start``), firm
names become firm indices, and the
windows of funding climates, GPU supply shocks and turmoil are kept for the multipliers
they apply. :mod:`sim.market.events` applies the events at the start of their month.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.errors import UserError
from sim.scenario.schema import (
    AnyEvent,
    FundingClimate,
    FundingRound,
    GpuSupplyShock,
    Scenario,
    Turmoil,
)


def calendar_month(start: str, month: int) -> str:
    """The calendar month (YYYY-MM) of model month ``month`` when month 0 is ``start``."""
    year, mon = map(int, start.split("-"))
    total = year * 12 + mon - 1 + month
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def model_month(spec: Scenario, when: int | str) -> int:
    """A model month from an int month or a calendar month YYYY-MM (after the start: the
    scenario's validation checks that every event is)."""
    month = spec.month_of(when)
    if month < 1:
        raise UserError(f"{spec.name}: {when} is not after the start ({spec.start})")
    return month


@dataclass
class Window:
    """A multiplier in force from ``start`` for ``months`` months."""

    start: int
    months: int
    multiplier: float
    firm: int | None = None

    def active(self, month: int) -> bool:
        """Whether the window covers ``month``."""
        return self.start <= month < self.start + self.months


class Timeline:
    """The scenario's events, by model month, and the windows they open (the scenario's
    validation has checked their dates and firm names)."""

    def __init__(self, spec: Scenario, firm_names: list[str]) -> None:
        self.by_month: dict[int, list[AnyEvent]] = {}
        self.funding: list[Window] = []
        self.supply: list[Window] = []
        self.turmoil: list[Window] = []
        self.funded: set[int] = set()
        """Firms with dated funding rounds (they raise no rounds by the funding rule)."""
        for event in spec.events:
            month = model_month(spec, event.month)
            self.by_month.setdefault(month, []).append(event)
            if isinstance(event, FundingClimate):
                self.funding.append(Window(month, event.months, event.multiplier))
            elif isinstance(event, GpuSupplyShock):
                self.supply.append(Window(month, event.months, event.multiplier))
            elif isinstance(event, FundingRound):
                self.funded.add(firm_names.index(event.firm))
            elif isinstance(event, Turmoil):
                self.turmoil.append(Window(month, event.months, event.search_multiplier,
                                           firm_names.index(event.firm)))

    @staticmethod
    def multiplier(windows: list[Window], month: int) -> float:
        """Product of the multipliers of the windows in force in ``month``."""
        out = 1.0
        for window in windows:
            if window.active(month):
                out *= window.multiplier
        return out

    def funding_multiplier(self, month: int) -> float:
        """The funding climate in ``month`` (1 normally; > 1 a boom, < 1 a winter)."""
        return self.multiplier(self.funding, month)

    def supply_multiplier(self, month: int) -> float:
        """GPU supply in ``month`` relative to normal."""
        return self.multiplier(self.supply, month)
