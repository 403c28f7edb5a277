"""Changes of place: who moved this month, from where, to where and how; offers on the table.

Every change of place of an engineer (a hire, a quit to another firm, a separation, a
layoff, a deal's transfer, a firm's exit) goes through :func:`move`, which updates the
population (:meth:`sim.agents.engineers.Engineers.move`) and returns the :class:`Moves` the
records count. ``flows.csv`` and the hires, quits and layoffs of ``market.csv`` and
``firms.csv`` are counted from these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.agents.engineers import UNEMPLOYED, Engineers
from sim.columns import MOVE_KINDS


class MoveKind(IntEnum):
    """Kinds of move, as recorded in :attr:`Moves.kind`; ``flows.csv`` names them by
    :data:`sim.columns.MOVE_KINDS` (the lower-case names)."""

    SEPARATION = 0  # exogenous job loss
    HIRE_FROM_UNEMPLOYMENT = 1
    JOB_TO_JOB = 2
    LAYOFF = 3
    EXIT = 4  # the employer left the market
    DEAL_TRANSFER = 5  # moved by an acquisition or license-and-hire
    DEAL_DEPARTURE = 6  # left the buyer after a deal


assert tuple(k.name.lower() for k in MoveKind) == MOVE_KINDS  # names in sim/columns.py

SEPARATION = MoveKind.SEPARATION
HIRE_FROM_UNEMPLOYMENT = MoveKind.HIRE_FROM_UNEMPLOYMENT
JOB_TO_JOB = MoveKind.JOB_TO_JOB
LAYOFF = MoveKind.LAYOFF
EXIT = MoveKind.EXIT
DEAL_TRANSFER = MoveKind.DEAL_TRANSFER
DEAL_DEPARTURE = MoveKind.DEAL_DEPARTURE


@dataclass
class Moves:
    """Engineers who changed place: who, from where, to where, and how (a :class:`MoveKind`)."""

    engineer: np.ndarray
    source: np.ndarray
    destination: np.ndarray
    kind: np.ndarray

    @classmethod
    def empty(cls) -> Moves:
        """No moves."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none.astype(np.int32), none.astype(np.int32), none.astype(np.int8))

    @classmethod
    def concat(cls, parts: list[Moves]) -> Moves:
        """All moves of several phases of a month, in order."""
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.engineer for p in parts]),
                   np.concatenate([p.source for p in parts]),
                   np.concatenate([p.destination for p in parts]),
                   np.concatenate([p.kind for p in parts]))


@dataclass
class Offers:
    """Offers on the table this month, one entry per (engineer, firm)."""

    engineer: np.ndarray
    firm: np.ndarray
    pay: np.ndarray
    outreach: np.ndarray
    grant: np.ndarray | None = None
    """Make-whole sign-on grant of each offer, dollars (sim/market/equity.py); None
    without equity."""

    @classmethod
    def empty(cls) -> Offers:
        """No offers."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, np.zeros(0), np.zeros(0, dtype=bool))

    def take(self, keep: np.ndarray) -> Offers:
        """The offers selected by a mask or index array."""
        return Offers(self.engineer[keep], self.firm[keep], self.pay[keep], self.outreach[keep],
                      None if self.grant is None else self.grant[keep])


def move(engineers: Engineers, who: np.ndarray, destination: int | np.ndarray,
         pay: float | np.ndarray, kind: int | np.ndarray,
         grant: float | np.ndarray = 0.0) -> Moves:
    """Move engineers ``who`` to ``destination`` (a firm index, or ``UNEMPLOYED``) at pay
    ``pay`` with make-whole grant ``grant``, tenure reset to 0; return the record of the
    moves."""
    source = engineers.move(who, destination, pay, grant)
    to = np.empty(who.shape, dtype=np.int32)
    to[...] = destination
    how = np.empty(who.shape, dtype=np.int8)
    how[...] = kind
    return Moves(who, source, to, how)


def to_unemployment(engineers: Engineers, who: np.ndarray, kind: int) -> Moves:
    """Send engineers ``who`` to unemployment (pay 0): a separation, a layoff, a deal
    leaver or a firm's exit, as ``kind`` says."""
    return move(engineers, who, UNEMPLOYED, 0.0, kind)


def rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal ``keys`` (keys sorted)."""
    index = np.arange(keys.size)
    starts = np.empty(keys.size, dtype=bool)  # where a run of equal keys starts
    starts[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    return index - np.maximum.accumulate(np.where(starts, index, 0))


def distinct_engineers(who: np.ndarray, n: int) -> np.ndarray:
    """The distinct engineers among ``who`` (indices below ``n``), in increasing order:
    ``np.unique(who)``, found by marking them in a mask of the n engineers (no sort or
    hash, which cost more for the month's hundred thousand offers)."""
    seen = np.zeros(n, dtype=bool)
    seen[who] = True
    return seen.nonzero()[0]
