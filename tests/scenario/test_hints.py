"""Errors that help: a did-you-mean for misspelt keys, firm and tier names, and events
numbered as their own file counts them."""

from __future__ import annotations

import pytest

from sim.cli import main
from sim.errors import UserError, did_you_mean
from sim.scenario import load_scenario
from tests.conftest import SCENARIOS

FLAGSHIP = SCENARIOS / "ai_talent_war_2024.toml"


def error(tmp_path, text: str, overrides=()) -> str:
    path = tmp_path / "cf.toml"
    path.write_text(f'extends = "{FLAGSHIP}"\nname = "cf"\n' + text)
    with pytest.raises(UserError) as info:
        load_scenario(path, list(overrides))
    return str(info.value)


def test_did_you_mean_names_close_candidates_only():
    assert did_you_mean("enginers", ["engineers", "months"]) == "; did you mean 'engineers'?"
    assert did_you_mean("zzz", ["engineers", "months"]) == ""


@pytest.mark.parametrize(("text", "hint"), [
    ("[market]\nenginers = 5\n", "market.enginers: unknown key (a typo?); did you mean "
                                 "'engineers'?"),
    ("[tiers.researcher.weights]\ngpuu = 3.0\n", "did you mean 'gpu'?"),
    ('[[events]]\ntype = "policy_change"\nmonth = "2024-03"\nfirm = "Anthropc"\n'
     'policy = { counter_offer = "beat" }\n', "no firm called 'Anthropc'; did you mean "
                                              "'Anthropic'?"),
    ("[firms.Meta.pay]\nresearchr = 1.0\n", "did you mean 'researcher'?"),
])
def test_misspelt_keys_firms_and_tiers_get_a_hint(tmp_path, text, hint):
    assert hint in error(tmp_path, text)


def test_a_misspelt_key_is_matched_against_the_keys_of_its_own_table(tmp_path):
    # "seeds" is close to the top-level "seed", but in [market] only market keys count
    message = error(tmp_path, "[market]\nseeds = 5\n")
    assert "market.seeds: unknown key" in message and "'seed'" not in message


def test_set_of_an_unknown_firm_gets_a_hint(tmp_path):
    message = error(tmp_path, "", ["firms.Antropic.gpus=5"])
    assert "no such firm; did you mean 'Anthropic'?" in message


def test_a_rule_of_the_whole_file_is_told_by_the_keys_it_names(tmp_path):
    # checked across tables (a firm's pay against the tiers): no location of its own
    message = error(tmp_path, "", ["firms.Meta.pay.reseacher=5"])
    assert message.startswith(f"{tmp_path / 'cf.toml'} (with overrides): firms.Meta.pay "
                              "names unknown "
                              "tier(s) ['reseacher']; did you mean 'researcher'?")
    assert "(top level)" not in message


def test_an_event_error_is_numbered_as_its_file_counts_events(tmp_path, capsys):
    text = ('[[events]]\ntype = "policy_change"\nmonth = "2024-03"\nfirm = "Nobody"\n'
            'policy = { counter_offer = "beat" }\n')
    message = error(tmp_path, text)
    assert "events[0].firm: no firm called 'Nobody'" in message
    assert "events[1" not in message  # the flagship's own events come first when merged
    assert main(["validate", str(tmp_path / "cf.toml")]) == 2
    assert "events[0].firm" in capsys.readouterr().err
    # an event of a base is named with its file, at its index there
    base = tmp_path / "base.toml"
    base.write_text(f'extends = "{FLAGSHIP}"\nname = "base"\n' + text.replace(
        '"2024-03"', '"2024-04"') + text)
    child = tmp_path / "child.toml"
    child.write_text('extends = "base.toml"\nname = "child"\n')
    with pytest.raises(UserError) as info:
        load_scenario(child)
    assert f"events[0].firm (an event of {base})" in str(info.value)


def test_a_misspelt_event_key_is_matched_against_its_own_event_type(tmp_path):
    # "kind" is a key of policy_change, not of amenity_change: an amenity_change given
    # kind = ... is not told "did you mean 'kind'?" (the very key refused)
    message = error(tmp_path, '[[events]]\ntype = "amenity_change"\nmonth = "2024-03"\n'
                              'kind = "frontier_lab"\namenities = { safety = 0.5 }\n')
    assert "events[0].kind: unknown key (a typo?)" in message
    assert "did you mean 'kind'" not in message
    assert "events[0].firm: required key is missing" in message
    # a key of another event type is not suggested either: gpu_stock has no "amount"
    message = error(tmp_path, '[[events]]\ntype = "gpu_stock"\nmonth = "2024-03"\n'
                              'firm = "Meta"\ngpus = 5\namont = 3\n')
    assert "events[0].amont: unknown key" in message and "'amount'" not in message


def test_a_team_of_a_tier_the_firm_does_not_pay_is_refused(tmp_path):
    # Its engineers would be placed at the firm and paid nothing, month after month.
    message = error(tmp_path, '[firms.Lab]\nkind = "frontier_lab"\n'
                              'pay = { ml_engineer = 200_000 }\n'
                              'team = { researcher = 5, ml_engineer = 10 }\n')
    assert "firms.Lab.team: researcher = 5, a tier the firm does not pay" in message
    message = error(tmp_path, '[firms.Lab]\nkind = "frontier_lab"\n'
                              'pay = { researcher = 0, ml_engineer = 200_000 }\n'
                              'team = { researcher = 5 }\n')
    assert "firms.Lab.team: researcher = 5" in message
    # a tier the team leaves out, or states at 0, needs no pay
    path = tmp_path / "ok.toml"
    path.write_text(f'extends = "{FLAGSHIP}"\nname = "ok"\n[firms.Lab]\n'
                    'kind = "frontier_lab"\npay = { ml_engineer = 200_000 }\n'
                    'team = { researcher = 0, ml_engineer = 10 }\n')
    assert "Lab" in load_scenario(path).firms


def test_a_firm_cannot_take_the_name_of_a_kind_of_firm(tmp_path):
    # [equity.big_tech] would then be both this firm's terms and every big_tech's
    message = error(tmp_path, '[firms.big_tech]\nkind = "ai_startup"\n'
                              'pay = { researcher = 500_000 }\n')
    assert "firms.big_tech: a firm cannot take the name of a kind of firm" in message
