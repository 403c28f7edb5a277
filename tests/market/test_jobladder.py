"""The textbook limit reproduces the on-the-job search steady state (Burdett-Mortensen)."""

import numpy as np
import pytest

from sim import TalentMarket, load_scenario
from sim.market.jobladder import dkw_bound, empirical_cdf, employed_pay_cdf, unemployment_rate
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def textbook():
    scenario = load_scenario(SCENARIOS / "textbook_job_ladder.toml")
    model = TalentMarket(scenario)
    model.run()
    return scenario, model


def test_textbook_scenario_has_the_stated_parameters(textbook):
    scenario, model = textbook
    tier = scenario.tiers["engineer"]
    assert (tier.separation, tier.search_unemployed, tier.search_employed) == (0.02, 0.2, 0.1)
    assert len(model.firms) == 50 and model.engineers.n == 50_000 and scenario.months == 240
    monthly = np.sort(model.state.table.pay[:, 0]) / 12
    np.testing.assert_allclose(monthly, np.linspace(10_000, 20_000, 50))


def test_unemployment_matches_delta_over_delta_plus_lambda0(textbook):
    _, model = textbook
    u_star = unemployment_rate(0.02, 0.20)
    tail = model.market["unemployment_rate"].iloc[-60:]
    # One month's rate has standard error sqrt(u (1 - u) / N); the 60-month mean is no
    # noisier than one month, so 4 standard errors of a single month bound it.
    tolerance = 4 * np.sqrt(u_star * (1 - u_star) / model.engineers.n)
    assert abs(tail.mean() - u_star) < tolerance


def test_pay_among_employed_matches_G(textbook):
    _, model = textbook
    eng = model.engineers
    pay = eng.pay[eng.firm >= 0]
    posted = np.sort(model.state.table.pay[:, 0])
    F = np.arange(1, posted.size + 1) / posted.size
    G = employed_pay_cdf(F, delta=0.02, lambda1=0.10)
    observed = empirical_cdf(pay, posted * (1 + 1e-12))
    # The DKW band: the empirical CDF of n draws stays within eps of the truth with
    # probability 1 - 1e-3.
    assert np.max(np.abs(observed - G)) < dkw_bound(pay.size, alpha=1e-3)
    # and the on-the-job search gap: far from the pay-offer distribution F itself.
    assert np.max(np.abs(observed - F)) > 0.2
