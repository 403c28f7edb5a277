"""The invariants ``run --check`` verifies: they hold in a run with every response on, and
each check fires when its invariant is broken."""

import numpy as np
import pytest

from sim import TalentMarket
from sim.cli import main
from sim.errors import InvariantError
from sim.market.invariants import broken_invariants
from sim.market.moves import SEPARATION, Moves
from tests.conftest import SCENARIOS, scenario_of, small_market


def test_a_checked_run_of_the_flagship_passes():
    model = TalentMarket(SCENARIOS / "ai_talent_war_2024.toml", check=True,
                         market__engineers=4000, months=24)
    model.run()
    assert model.steps == 24


def stepped():
    model = TalentMarket(scenario_of(small_market(months=3)))
    before = model.engineers.firm.copy()
    model.step()
    assert broken_invariants(model.state, before) == []
    return model, before


def test_an_unrecorded_move_is_caught():
    model, before = stepped()
    i = int(np.flatnonzero(model.engineers.firm >= 0)[0])
    model.engineers.firm[i] = (model.engineers.firm[i] + 1) % len(model.firms)
    assert any("without a recorded move" in p for p in broken_invariants(model.state, before))


def test_a_move_recorded_from_the_wrong_place_is_caught():
    model, before = stepped()
    i = np.array([int(np.flatnonzero(before >= 0)[0])])
    bogus = Moves(i, np.array([-1], np.int32), before[i].astype(np.int32),
                  np.array([SEPARATION], np.int8))
    model.state.log.moves.insert(0, bogus)
    assert any("start where" in p for p in broken_invariants(model.state, before))


def test_negative_cash_lost_money_and_bad_pay_are_caught():
    model, before = stepped()
    model.ledger.cash[0] = -1.0
    problems = broken_invariants(model.state, before)
    assert any("negative cash" in p for p in problems)
    assert any("not conserved" in p for p in problems)
    model, before = stepped()
    unemployed = np.flatnonzero(model.engineers.firm < 0)[0]
    model.engineers.pay[unemployed] = 10.0
    assert any("unemployed engineer is paid" in p
               for p in broken_invariants(model.state, before))
    model.engineers.pay[0] = np.nan
    assert any("not finite" in p for p in broken_invariants(model.state, before))


def test_check_stops_the_run_with_the_month(monkeypatch, tmp_path, capsys):
    model = TalentMarket(scenario_of(small_market(months=3)), check=True)
    model.step()
    model.ledger.outside["investors"] += 1e6  # money from nowhere
    with pytest.raises(InvariantError, match="month 2: money is not conserved"):
        model.step()


def test_run_check_on_the_command_line(tmp_path, capsys):
    out = tmp_path / "run"
    status = main(["run", str(SCENARIOS / "textbook_job_ladder.toml"), "--check", "--quiet",
                   "--no-plots", "--months", "6", "--set", "market.engineers=2000",
                   "--out", str(out)])
    assert status == 0 and (out / "manifest.json").is_file()
