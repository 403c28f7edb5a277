"""Firm agents: who they are and what they offer.

A firm is a Mesa agent with a name, a kind (big tech, frontier lab, AI start-up, enterprise
software...), a GPU stock in H100 equivalents, a mission (how much it is about building
frontier AI, 0..1), posted pay per engineer tier, a hiring capacity (offers a month), cash,
and an outreach capacity (personal notes or calls its leaders make a month).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import TalentMarket


class Firm(mesa.Agent):
    """A firm competing for engineers.

    Parameters
    ----------
    model : TalentMarket
        The market the firm belongs to.
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
        Cash in dollars.
    outreach : int
        Personal contacts its leaders make in a month.
    size : float
        Relative weight in the initial allocation of engineers.
    """

    def __init__(
        self,
        model: TalentMarket,
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
    ) -> None:
        super().__init__(model)
        self.index = index
        self.name = name
        self.kind = kind
        self.gpus = float(gpus)
        self.mission = float(mission)
        self.pay = np.asarray(pay, dtype=np.float64)
        self.hiring_capacity = float(hiring_capacity)
        self.cash = float(cash)
        self.outreach = int(outreach)
        self.size = float(size)

    def __repr__(self) -> str:
        return f"Firm({self.name!r}, kind={self.kind!r}, gpus={self.gpus:,.0f})"

    def hires(self, tier: int) -> bool:
        """Whether the firm hires engineers of tier ``tier``."""
        return bool(self.pay[tier] > 0)
