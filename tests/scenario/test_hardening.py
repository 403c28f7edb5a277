"""Regression tests of bad inputs that once passed validation, crashed or escaped: each
case must be refused by loading (so by ``validate`` as by ``run``) with a message naming
the file and the key."""

import pytest

from sim.errors import UserError
from sim.scenario import apply_overrides, load_scenario
from sim.scenario.loading import MAX_EXTENDS, name_from_stem

GOOD = """
name = "tiny"
months = 3
[market]
engineers = 500
[tiers.researcher]
share = 1.0
[firms.Meta]
pay = { researcher = 100000 }
[firms.lab]
pay = { researcher = 100000 }
"""

EVENT = '\n[[events]]\ntype = "{type}"\nmonth = {month}\n{extra}\n'


def write(tmp_path, text, name="s.toml", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


REFUSED = {
    "name escapes results/": (GOOD.replace('"tiny"', '"../../escaped"'), "name:"),
    "absolute name": (GOOD.replace('"tiny"', '"/x"'), "name:"),
    "name with a NUL byte": (GOOD.replace('"tiny"', '"a\\u0000b"'), "name:"),
    "name of 300 characters": (GOOD.replace('"tiny"', '"' + "a" * 300 + '"'), "name:"),
    "firm name with formula markup": (GOOD.replace("[firms.lab]", '[firms."$x^2$"]'),
                                      "firms"),
    "firm name a spreadsheet runs": (GOOD.replace("[firms.lab]", '[firms."=cmd"]'), "firms"),
    "firm called unemployment": (GOOD.replace("[firms.lab]", "[firms.unemployment]"),
                                 "'unemployment'"),
    "tier that overwrites a column": (
        GOOD.replace("[tiers.researcher]", "[tiers.from_unemployment]").replace(
            "researcher = 100000", "from_unemployment = 100000"), "hires_from_unemployment"),
    "event naming an unknown firm": (
        GOOD + EVENT.format(type="turmoil", month=2, extra='firm = "Metaa"'),
        "events[0].firm: no firm called 'Metaa'"),
    "event before the start": (
        GOOD + EVENT.format(type="turmoil", month='"2022-05"', extra='firm = "Meta"'),
        "events[0].month: 2022-05 is not after the start"),
    "a firm that buys itself": (
        GOOD + EVENT.format(type="forced_deal", month=2, extra=(
            'buyer = "Meta"\ntarget = "Meta"\nform = "acquisition"\nprice = 1e9')),
        "cannot buy itself"),
    "generated name clashes with a named firm": (
        GOOD.replace("[firms.lab]", "[firms.x1]") + (
            "\n[[generated_firms]]\ncount = 2\nprefix = \"x\"\n"), "unique"),
    "generated mission above 1": (
        GOOD + "\n[[generated_firms]]\ncount = 2\nmission = { min = 0.5, max = 3 }\n",
        "mission"),
    "generated size of 0": (
        GOOD + "\n[[generated_firms]]\ncount = 2\nsize = { min = 0, max = 3 }\n", "size"),
    "tier share of 1e308": (GOOD.replace("share = 1.0", "share = 1e308"), "share"),
    # 0 would cap every offer at 0 while posted pay read a cap of 0 as none
    "no pay a firm can fund": (GOOD + "\n[firm_defaults]\nmax_pay_share = 0\n",
                               "firm_defaults.max_pay_share"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_with_the_file_and_the_key(tmp_path, case):
    text, expected = REFUSED[case]
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_scenario(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_key_paths_keep_capitalised_firm_names(tmp_path):
    path = write(tmp_path, GOOD.replace("pay = { researcher = 100000 }\n[firms.lab]",
                                        "pay = { researcher = 100000 }\ngpus = -1\n[firms.lab]"))
    with pytest.raises(UserError, match=r"firms\.Meta\.gpus"):
        load_scenario(path)


@pytest.mark.parametrize("content", [b"\xff\xfe\x00binary\x00", "name = 'é'".encode("latin-1")])
def test_files_that_are_not_utf8_text(tmp_path, content):
    path = write(tmp_path, content, mode="wb")
    with pytest.raises(UserError, match="not a text file in UTF-8"):
        load_scenario(path)


def test_deeply_nested_arrays(tmp_path):
    path = write(tmp_path, "x = " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(UserError) as err:
        load_scenario(path)
    assert str(path) in str(err.value)


def test_extends_chains_too_deep(tmp_path):
    write(tmp_path, GOOD, "s0.toml")
    for k in range(1, MAX_EXTENDS + 3):
        write(tmp_path, f'extends = "s{k - 1}.toml"\n', f"s{k}.toml")
    assert load_scenario(tmp_path / "s5.toml").name == "tiny"
    with pytest.raises(UserError, match="more than 32 files deep"):
        load_scenario(tmp_path / f"s{MAX_EXTENDS + 2}.toml")


def test_set_refuses_a_typo_in_a_firm_or_tier_and_adds_with_a_plus(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(UserError, match=r"firms\.Metaa: no such firm.*\+firms\.Metaa\.gpus"):
        load_scenario(path, ["firms.Metaa.gpus=5"])
    with pytest.raises(UserError, match=r"tiers\.resercher: no such tier"):
        load_scenario(path, ["tiers.resercher.share=0.5"])
    added = load_scenario(path, ["+firms.NewLab.pay.researcher=200000"])
    assert added.firms["NewLab"].pay == {"researcher": 200000}
    # Changing what exists, or a default the file leaves out, needs no +.
    assert load_scenario(path, ["firms.Meta.gpus=5"]).firms["Meta"].gpus == 5
    assert load_scenario(path, ["market.initial_unemployment=0.1"]
                         ).market.initial_unemployment == 0.1


def test_set_on_plain_data_follows_the_same_rule():
    with pytest.raises(UserError, match="no such firm"):
        apply_overrides({"firms": {"A": {}}}, {"firms.B.gpus": 1})
    assert apply_overrides({"firms": {"A": {}}}, {"+firms.B.gpus": 1})["firms"]["B"] == {
        "gpus": 1}


def test_a_file_name_that_is_not_a_valid_name_gives_a_valid_default(tmp_path):
    assert name_from_stem("my scenario (v2)") == "my_scenario__v2_"
    assert name_from_stem("../..") == "scenario"
    path = write(tmp_path, GOOD.replace('name = "tiny"\n', ""), "my market.toml")
    assert load_scenario(path).name == "my_market"
