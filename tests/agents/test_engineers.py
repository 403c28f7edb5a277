"""The engineer population: declared columns, one way to change place, a view of one."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.agents.engineers import UNEMPLOYED
from sim.market.moves import JOB_TO_JOB, LAYOFF, move
from tests.conftest import scenario_of, small_market


def test_move_changes_place_pay_and_tenure_and_says_where_from():
    model = TalentMarket(scenario_of(small_market(months=1)))
    eng = model.engineers
    employed = np.flatnonzero(eng.firm != UNEMPLOYED)[:5]
    before = eng.firm[employed].copy()
    eng.tenure[employed] = 7
    target = int((before[0] + 1) % len(model.firms))
    moves = move(eng, employed, target, 123.0, JOB_TO_JOB)
    assert np.array_equal(moves.source, before)
    assert (moves.destination == target).all() and (moves.kind == JOB_TO_JOB).all()
    assert (eng.firm[employed] == target).all()
    assert (eng.pay[employed] == 123.0).all() and (eng.tenure[employed] == 0).all()
    back = move(eng, employed, UNEMPLOYED, 0.0, LAYOFF)
    assert (back.source == target).all() and (eng.firm[employed] == UNEMPLOYED).all()
    assert (eng.pay[employed] == 0).all()


def test_engineer_view_shows_one_engineer():
    model = TalentMarket(scenario_of(small_market(months=1)))
    eng = model.engineers
    i = int(np.flatnonzero(eng.firm != UNEMPLOYED)[0])
    view = model.engineer(i)
    assert view.firm == model.firm_names[eng.firm[i]]
    assert view.pay == eng.pay[i] and view.tier == "researcher"
    with pytest.raises(IndexError):
        model.engineer(eng.n)


