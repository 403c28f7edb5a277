"""The scenario's dated timeline: policy changes, funding climates, GPU supply shocks,
turmoil at a firm, and deals forced at a date.

Events are resolved once, when the model is built (calendar months become model months,
firm names become firms, with a clear error for a name that does not exist), and applied
at the start of their month, before anything else happens that month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sim.errors import UserError
from sim.scenario.schema import ForcedDeal, FundingClimate, GpuSupplyShock, PolicyChange, Turmoil

if TYPE_CHECKING:
    from sim.model import TalentMarket


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
    """The scenario's events, by model month."""

    def __init__(self, model: TalentMarket) -> None:
        self.by_month: dict[int, list[Any]] = {}
        self.funding: list[Window] = []
        self.supply: list[Window] = []
        self.turmoil: list[Window] = []
        for k, event in enumerate(model.spec.events):
            month = model.model_month(event.month)
            for key in ("firm", "buyer", "target"):
                name = getattr(event, key, None)
                if name is not None and name not in model.firm_names:
                    raise UserError(
                        f"{model.spec.name}: events[{k}].{key}: no firm called {name!r}; "
                        f"firms are {', '.join(model.firm_names[:20])}"
                        + (" ..." if len(model.firm_names) > 20 else "")
                    )
            self.by_month.setdefault(month, []).append(event)
            if isinstance(event, FundingClimate):
                self.funding.append(Window(month, event.months, event.multiplier))
            elif isinstance(event, GpuSupplyShock):
                self.supply.append(Window(month, event.months, event.multiplier))
            elif isinstance(event, Turmoil):
                self.turmoil.append(Window(month, event.months, event.search_multiplier,
                                           model.firm_index(event.firm)))

    @staticmethod
    def multiplier(windows: list[Window], month: int) -> float:
        """Product of the multipliers of the windows in force in ``month``."""
        out = 1.0
        for window in windows:
            if window.active(month):
                out *= window.multiplier
        return out

    def apply(self, model: TalentMarket) -> list[ForcedDeal]:
        """Apply this month's events; return the deals it forces (done in the deal phase)."""
        month = model.steps
        model.search_multiplier[:] = 1.0
        for window in self.turmoil:
            if window.active(month):
                model.search_multiplier[window.firm] *= window.multiplier
        deals = []
        for event in self.by_month.get(month, []):
            if isinstance(event, PolicyChange):
                for firm in model.firms:
                    if firm.name == event.firm or firm.kind == event.kind:
                        firm.change_policy(event.policy)
            elif isinstance(event, ForcedDeal):
                deals.append(event)
        return deals
