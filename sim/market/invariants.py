"""Invariants of the market, checked every month by ``talentwar run --check``.

After each month (:func:`check_month`):

- every engineer is in exactly one place: a firm index in [0, firms) of an active firm, or
  unemployment (-1);
- the places follow the month's recorded moves: starting from last month's places and
  applying the month's moves in order (each move's source being where the engineer then
  was) gives this month's places, so stocks change only by recorded flows;
- no firm's cash is negative, every amount is finite, and money is conserved:
  sum_j cash_j + sum_k outside_k = sum_j cash_j(0) (to 1e-9 of the largest of the sums
  of cash and of the outside accounts: rounding of sums of large amounts);
- pay is finite, >= 0, and 0 for the unemployed;
- headcounts add up: employed + unemployed = engineers.
"""

from __future__ import annotations

import numpy as np

from sim.agents.engineers import UNEMPLOYED
from sim.errors import InvariantError
from sim.market.state import MarketState


def broken_invariants(state: MarketState, previous_places: np.ndarray) -> list[str]:
    """The invariants the state breaks now, given where engineers were when the month began
    (``previous_places``); empty if none."""
    eng, ledger = state.engineers, state.ledger
    problems = []
    place = eng.firm
    if place.min(initial=UNEMPLOYED) < UNEMPLOYED or place.max(initial=-1) >= state.n_firms:
        problems.append("an engineer's place is neither a firm nor unemployment")
    else:
        inactive = np.flatnonzero(~np.array([f.active for f in state.firms], dtype=bool))
        stranded = np.isin(place, inactive)
        if stranded.any():
            problems.append(f"{int(stranded.sum())} engineers work at firms that have exited")
    replay = previous_places.copy()
    for moves in state.log.moves:
        wrong = replay[moves.engineer] != moves.source
        if wrong.any():
            problems.append(f"{int(wrong.sum())} recorded moves start where the engineer was "
                            "not")
            break
        replay[moves.engineer] = moves.destination
    if not np.array_equal(replay, place):
        problems.append(f"{int(np.sum(replay != place))} engineers changed place without a "
                        "recorded move")
    if not np.all(np.isfinite(ledger.cash)):
        problems.append("a firm's cash is not finite")
    elif np.any(ledger.cash < 0):
        problems.append(f"negative cash at {int(np.sum(ledger.cash < 0))} firms")
    total, initial = ledger.total, ledger.initial_total
    # Rounding: sums of amounts of size S carry errors of about 1e-16 S.
    scale = max(abs(initial), float(np.abs(ledger.cash).sum()),
                sum(abs(v) for v in ledger.outside.values()), 1.0)
    if not np.isfinite(total) or abs(total - initial) > 1e-9 * scale:
        problems.append(f"money is not conserved: {total!r} in the books, {initial!r} at start")
    pay = eng.pay
    if not np.all(np.isfinite(pay)) or np.any(pay < 0):
        problems.append("pay is negative or not finite")
    elif np.any(pay[place == UNEMPLOYED] != 0):
        problems.append("an unemployed engineer is paid")
    employed = int(np.count_nonzero(place != UNEMPLOYED))
    if int(state.heads.sum()) != employed:
        problems.append(f"headcounts add up to {int(state.heads.sum())}, "
                        f"{employed} are employed")
    return problems


def check_month(state: MarketState, previous_places: np.ndarray) -> None:
    """Raise :class:`InvariantError` naming the month and the first broken invariant."""
    problems = broken_invariants(state, previous_places)
    if problems:
        raise InvariantError(state.month, "; ".join(problems))
