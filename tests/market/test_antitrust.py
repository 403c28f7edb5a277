"""The antitrust screens block a deal just past each edge of merger control's bands and pass
the same kind of deal just inside it (2023 US Merger Guidelines, 2004 EU Horizontal Merger
Guidelines), on hand-made markets of top-tier headcounts; and the model's dated and own
deals go through the same screen."""

import re

import numpy as np
import pytest

from sim import TalentMarket
from sim.market.antitrust import screen
from sim.market.concentration import hhi
from sim.scenario.schema import Antitrust
from tests.conftest import scenario_of, small_market

US = Antitrust(enabled=True, rule="us_2023")
EU = Antitrust(enabled=True, rule="eu_2004")


def top_tier(buyer: int, target: int, rival: int, small: int) -> np.ndarray:
    """1,000 top-tier engineers: the buyer (firm 0), the target (firm 1), one rival, then
    firms of ``small`` engineers and one with what is left."""
    rest = 1000 - buyer - target - rival
    n, left = divmod(rest, small)
    return np.array([buyer, target, rival] + [small] * n + ([left] if left else []))


def after_whole_team(top: np.ndarray) -> tuple[float, float, float]:
    """HHI', Delta and the buyer's share (percent) when firm 0 takes all of firm 1."""
    after = top.astype(float)
    after[0] += after[1]
    after[1] = 0
    return hhi(after), hhi(after) - hhi(top), 100 * after[0] / top.sum()


# name: (market, (HHI' bounds), (Delta bounds), (share bounds), blocked under the screen)
US_EDGES = {
    "level just below 1,800": ((43, 197, 330, 31), (1790, 1800), (110, 200), (0, 29), False),
    "level just above 1,800": ((98, 72, 369, 33), (1800, 1810), (110, 200), (0, 29), True),
    "rise just below 100": ((26, 187, 383, 26), (1850, 9999), (95, 100), (0, 29), False),
    "rise just above 100": ((217, 24, 414, 49), (1850, 9999), (100, 105), (0, 29), True),
    "share just below 30%": ((252, 39, 180, 11), (0, 1750), (110, 200), (29, 30), False),
    "share just above 30%": ((270, 33, 2, 47), (0, 1750), (110, 200), (30, 31), True),
}
EU_EDGES = {
    "level just below 1,000": ((189, 87, 58, 30), (990, 1000), (260, 400), (0, 100), False),
    "level just above 1,000": ((205, 88, 91, 10), (1000, 1010), (260, 400), (0, 100), True),
    "middle band, rise just below 250": ((126, 98, 221, 58), (1200, 1800), (245, 250),
                                         (0, 100), False),
    "middle band, rise just above 250": ((103, 123, 343, 26), (1200, 1800), (250, 255),
                                         (0, 100), True),
    "rise 150-250, level just below 2,000": ((214, 40, 338, 52), (1990, 2000), (170, 230),
                                             (0, 100), False),
    "rise 150-250, level just above 2,000": ((107, 93, 371, 55), (2000, 2010), (170, 230),
                                             (0, 100), True),
    "top band, rise just below 150": ((119, 62, 449, 11), (2100, 9999), (145, 150),
                                      (0, 100), False),
    "top band, rise just above 150": ((265, 29, 405, 15), (2100, 9999), (150, 155),
                                      (0, 100), True),
}


def case_id(screen_name: str, case: str) -> str:
    """A test id without spaces: ``us-level_just_below_1800``."""
    return screen_name + "-" + re.sub(r"[^A-Za-z0-9]+", "_", case).strip("_")


@pytest.mark.parametrize(("rules", "case"), [(US, k) for k in US_EDGES]
                         + [(EU, k) for k in EU_EDGES],
                         ids=[case_id("us", k) for k in US_EDGES]
                         + [case_id("eu", k) for k in EU_EDGES])
def test_each_screen_blocks_just_past_its_edge_and_passes_just_inside(rules, case):
    market, level, rise, share, blocked = {**US_EDGES, **EU_EDGES}[case]
    top = top_tier(*market)
    # The hand-made market is where the case says it is.
    h, d, s = after_whole_team(top)
    assert level[0] < h < level[1] and rise[0] < d < rise[1] and share[0] < s < share[1]
    decision, reason = screen(rules, top, 0, 1, int(top[1]))
    assert decision is blocked
    assert bool(reason) is blocked


def test_the_thresholds_are_data():
    # A deal blocked by the US screen's level passes when the level is set above its HHI'.
    top = top_tier(98, 72, 369, 33)          # HHI' about 1,802, rise about 141
    assert screen(US, top, 0, 1, 72)[0]
    assert not screen(US.model_copy(update={"us_hhi_level": 1850.0}), top, 0, 1, 72)[0]
    # The EU band edge moved up: the same deal (HHI' about 2,007, rise 199) is now in the
    # middle band, where a rise below 250 raises no concern.
    top = top_tier(107, 93, 371, 55)
    assert screen(EU, top, 0, 1, 93)[0]
    assert not screen(EU.model_copy(update={"eu_band_level": 2100.0}), top, 0, 1, 93)[0]


def test_a_partial_team_moves_only_its_top_tier_engineers():
    # License-and-hire of part of a team: the rise is computed on the movers only.
    top = top_tier(217, 24, 414, 49)         # the whole team: rise about 104, blocked
    assert screen(US, top, 0, 1, 24)[0]
    assert not screen(US, top, 0, 1, 20)[0]  # 20 of 24 move: a rise of about 85


def test_an_empty_top_tier_passes_every_deal():
    assert screen(US, np.zeros(4), 0, 1, 0) == (False, "")


# --------------------------------------------------------------------------- in the model

DEAL = {"type": "forced_deal", "month": 2, "buyer": "Alpha", "target": "Gamma",
        "price": 500e6, "review": True}


def run_deal(antitrust, form="acquisition", months=2):
    """The four-firm market of 1,200 researchers (top-tier HHI about 2,500): Alpha takes
    Gamma's team in month 2 (a rise of about 1,250)."""
    model = TalentMarket(scenario_of(small_market(
        months=months, antitrust=antitrust, events=[{**DEAL, "form": form}],
        firms={"Gamma": {"cash": 50e6}})))
    model.run()
    return model.deals.iloc[0]


def test_a_dated_deal_is_screened_and_passes_when_the_rise_is_allowed():
    blocked = run_deal({"enabled": True, "rule": "us_2023"})
    assert blocked["blocked"] and blocked["reason"].startswith("US 2023")
    assert blocked["engineers_moved"] == 0
    allowed = run_deal({"enabled": True, "rule": "us_2023", "us_hhi_delta": 5000.0})
    assert not allowed["blocked"] and allowed["engineers_moved"] > 0
    eu = run_deal({"enabled": True, "rule": "eu_2004"})
    assert eu["blocked"] and eu["reason"].startswith("EU 2004")


def test_license_and_hire_is_reviewed_only_when_the_scenario_says_so():
    dodged = run_deal({"enabled": True, "rule": "us_2023"}, form="license_and_hire")
    assert not dodged["blocked"] and dodged["engineers_moved"] > 0
    reviewed = run_deal({"enabled": True, "rule": "us_2023", "review_license_and_hire": True},
                        form="license_and_hire")
    assert reviewed["blocked"] and reviewed["reason"].startswith("US 2023")


def own_deals(antitrust):
    """Beta seeks a start-up's team every month (Gamma is the only start-up)."""
    model = TalentMarket(scenario_of(small_market(
        months=3, antitrust=antitrust,
        firms={"Gamma": {"cash": 50e6},
               "Beta": {"cash": 1e12, "policy": {
                   "acquisitive": True, "deal_rate": 1.0, "deal_form": "acquisition",
                   "max_price_share": 1.0, "premium": 1.1, "growth": {"researcher": 5.0}}}})))
    model.run()
    return model.deals


def test_the_model_s_own_deals_go_through_the_same_screen():
    blocked = own_deals({"enabled": True, "rule": "us_2023"})
    assert len(blocked) >= 1 and (blocked["origin"] == "model").all()
    assert blocked["blocked"].all() and blocked["reason"].str.startswith("US 2023").all()
    done = own_deals({"enabled": True, "rule": "us_2023", "us_hhi_level": 9000.0,
                      "us_share": 90.0})
    assert not done.iloc[0]["blocked"] and done.iloc[0]["origin"] == "model"
