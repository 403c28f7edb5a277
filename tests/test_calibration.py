"""The flagship scenario reproduces the 2023-2025 facts of docs/calibration.md.

One fixed-seed run of the flagship (100,000 engineers, 36 months, ~3 s). Each tolerance is
the one docs/calibration.md states.
"""

import numpy as np
import pytest

from sim import TalentMarket, load_scenario
from sim.agents.engineers import UNEMPLOYED
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def flagship():
    model = TalentMarket(load_scenario(SCENARIOS / "ai_talent_war_2024.toml"))
    model.run()
    return model


def year(market, y):
    return market[market["date"].str.startswith(str(y))]


def employed_pay(model, tier):
    eng = model.engineers
    block = eng.tier_slice(eng.tier_names.index(tier))
    return eng.pay[block][eng.firm[block] != UNEMPLOYED]


def test_fact_1_ai_median_pay_is_about_one_and_a_half_times_non_ai(flagship):
    ratio = year(flagship.market, 2024)["ai_pay_ratio"].mean()
    assert 1.35 <= ratio <= 1.65, ratio


def test_fact_2_ml_engineers_mostly_130k_240k_researchers_1m_10m(flagship):
    ml = employed_pay(flagship, "ml_engineer")
    assert np.mean((ml >= 130_000) & (ml <= 240_000)) >= 0.6
    researchers = employed_pay(flagship, "researcher")
    assert np.mean((researchers >= 1e6) & (researchers <= 10e6)) >= 0.8


def test_fact_3_deal_prices_per_engineer_and_the_rise_of_license_and_hire(flagship):
    deals = flagship.deals
    done = deals[~deals["blocked"].astype(bool)]
    per_head = done["price_per_engineer"]
    assert 5e6 <= per_head.median() <= 25e6
    assert np.mean((per_head >= 5e6) & (per_head <= 25e6)) >= 0.6
    early = done[done["date"] < "2024-01"]
    late = done[done["date"] >= "2024-01"]
    share = {name: np.mean(part["form"] == "license_and_hire") if len(part) else 0.0
             for name, part in (("early", early), ("late", late))}
    assert share["late"] > share["early"], share


def test_fact_4_non_ai_layoffs_while_ai_pay_rises(flagship):
    market = flagship.market
    first_two_years = market[(market["date"] >= "2023-01") & (market["date"] <= "2024-12")]
    assert first_two_years["layoffs_software_engineer"].sum() > 2_000
    ai_layoffs = first_two_years[["layoffs_researcher", "layoffs_ml_engineer"]].sum().sum()
    assert ai_layoffs < 0.05 * first_two_years["layoffs_software_engineer"].sum()
    end_2024 = market[market["date"] == "2024-12"].iloc[0]
    assert end_2024["ai_pay_index"] > 101.5
    assert end_2024["ai_pay_index"] > end_2024["non_ai_pay_index"] + 2


def test_fact_5_most_top_researchers_at_firms_with_10000_h100s(flagship):
    assert year(flagship.market, 2024)["top_share_above_threshold"].mean() >= 0.7
