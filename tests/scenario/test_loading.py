"""Scenario files: strict validation with clear errors, extends, overrides, the schema."""

import json
import subprocess
import sys

import pytest

from sim.errors import UserError
from sim.scenario import json_schema, load_scenario
from tests.conftest import ROOT, SCENARIOS

GOOD = """
name = "tiny"
months = 3
[market]
engineers = 500
[tiers.researcher]
share = 1.0
[firms.A]
pay = { researcher = 100000 }
"""


def write(tmp_path, text, name="s.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path):
    scenario = load_scenario(path)
    assert scenario.market.engineers > 0


BAD = {
    "unknown key": (GOOD.replace("engineers = 500", "enginers = 500"),
                    "market.enginers: unknown key"),
    "wrong type": (GOOD.replace("engineers = 500", 'engineers = "many"'),
                   "market.engineers: Input should be a valid integer"),
    "negative count": (GOOD.replace("engineers = 500", "engineers = -5"),
                       "market.engineers: Input should be greater than or equal to 1"),
    "rate above 1": (GOOD.replace("share = 1.0", "share = 1.0\nseparation = 1.5"),
                     "tiers.researcher.separation: Input should be less than or equal to 1"),
    "no firms": (GOOD.split("[firms.A]")[0], "no firms"),
    "unknown tier in pay": (GOOD.replace("researcher = 100000", "reseacher = 100000"),
                            "unknown tier(s) ['reseacher']"),
    "bad TOML": (GOOD + "\n[[[", "not valid TOML"),
    "missing base": ('extends = "nowhere.toml"\n', "extends: no such file nowhere.toml"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenarios_get_an_error_naming_file_and_key(tmp_path, case):
    text, expected = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(UserError) as err:
        load_scenario(path)
    assert str(path) in str(err.value)
    assert expected in str(err.value)


def test_extends_merges_tables_and_set_overrides(tmp_path):
    write(tmp_path, GOOD, "base.toml")
    child = write(tmp_path, 'extends = "base.toml"\nname = "child"\n[market]\n'
                  "initial_unemployment = 0.2\n", "child.toml")
    scenario = load_scenario(child, ["market.engineers=20000", "firms.A.gpus=5e4"])
    assert scenario.name == "child"
    assert scenario.market.initial_unemployment == 0.2
    assert scenario.market.engineers == 20_000
    assert scenario.firms["A"].gpus == 50_000
    assert scenario.firms["A"].pay == {"researcher": 100_000}


def test_shared_overrides_copy_only_the_overridden_paths_and_never_change_the_data():
    import copy

    from sim.scenario import apply_overrides, read_toml

    base = read_toml(SCENARIOS / "ai_talent_war_2024.toml")
    before = copy.deepcopy(base)
    overrides = {"market.engineers": 3000, "firms.OpenAI.outreach": 7,
                 "firms.OpenAI.pay.researcher": 1.0, "+firms.NewLab.kind": "ai_startup"}
    shared = apply_overrides(base, overrides, share=True)
    assert shared == apply_overrides(base, overrides)
    assert base == before  # the data is unchanged
    assert shared["firms"]["OpenAI"]["outreach"] == 7 and "NewLab" in shared["firms"]
    # Tables off the overridden paths are shared, those on them are copies.
    assert shared["tiers"] is base["tiers"]
    assert shared["firms"]["Meta"] is base["firms"]["Meta"]
    assert shared["firms"] is not base["firms"] and shared["market"] is not base["market"]


def test_bad_override_names_the_key():
    with pytest.raises(UserError, match=r"with overrides\): choice.noise: .*greater"):
        load_scenario(SCENARIOS / "textbook_job_ladder.toml", ["choice.noise=-1"])


def test_json_schema_describes_every_table():
    schema = json.loads(json_schema())
    assert {"market", "tiers", "firms", "choice", "compute", "extends"} <= set(
        schema["$defs"]["File"]["properties"])
    assert schema["$defs"]["Market"]["additionalProperties"] is False


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sim", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_bad_scenario_exits_2_without_traceback_and_writes_nothing(tmp_path):
    path = write(tmp_path, GOOD.replace("engineers = 500", "engineers = -1"))
    result = run_cli("run", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}: market.engineers" in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_cli_bad_command_line_values_exit_2(tmp_path):
    path = write(tmp_path, GOOD)
    for args in (["--seed", "-3"], ["--months", "zero"], ["--set", "nonsense"],
                 ["--set", "market.engineers=0"]):
        result = run_cli("run", str(path), *args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_cli_validate_checks_files(tmp_path):
    good = write(tmp_path, GOOD, "good.toml")
    bad = write(tmp_path, GOOD.replace("share = 1.0", "share = 0"), "bad.toml")
    ok = run_cli("validate", str(good), cwd=tmp_path)
    assert ok.returncode == 0 and "ok" in ok.stdout
    failed = run_cli("validate", str(good), str(bad), cwd=tmp_path)
    assert failed.returncode == 2 and "bad.toml: tiers.researcher.share" in failed.stderr


def test_cli_refuses_an_output_folder_it_cannot_create_before_running(tmp_path):
    path = write(tmp_path, GOOD)
    (tmp_path / "afile").write_text("not a folder")
    result = run_cli("run", str(path), "--out", str(tmp_path / "afile" / "run"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "is a file, not a folder" in result.stderr


def test_scenarios_reject_non_finite_numbers():
    with pytest.raises(UserError, match=r"tiers.engineer.share: Input should be a finite"):
        load_scenario(SCENARIOS / "textbook_job_ladder.toml", ["tiers.engineer.share=inf"])
    with pytest.raises(UserError, match=r"growth.engineer: Input should be greater"):
        load_scenario(SCENARIOS / "textbook_job_ladder.toml",
                      ["firm_defaults.growth.engineer=-2"])


def test_json_schema_accepts_every_shipped_scenario_including_extends_files():
    import tomllib

    import jsonschema

    schema = json.loads(json_schema())
    validator = jsonschema.Draft202012Validator(schema)
    files = sorted(SCENARIOS.glob("*.toml")) + sorted(SCENARIOS.glob("counterfactuals/*.toml"))
    assert any("extends" in tomllib.loads(p.read_text()) for p in files)
    for path in files:
        errors = list(validator.iter_errors(tomllib.loads(path.read_text())))
        assert not errors, (path, errors[0].message)
    # ... and still flags what is wrong, in a whole file and in an extends file.
    assert list(validator.iter_errors({"name": "x", "tiers": {"a": {"share": "big"}},
                                       "firms": {}}))
    assert list(validator.iter_errors({"extends": "base.toml", "market": {"enginers": 5}}))
    assert list(validator.iter_errors({"name": "x"}))  # no tiers: required without extends


def test_json_schema_of_sweep_files_accepts_the_shipped_sweeps(capsys):
    import tomllib

    import jsonschema

    from sim.cli import main

    assert main(["schema", "--kind", "sweep"]) == 0
    validator = jsonschema.Draft202012Validator(json.loads(capsys.readouterr().out))
    for path in sorted((SCENARIOS / "sweeps").glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if "base" not in data:  # a scenario kept beside the sweeps
            continue
        errors = list(validator.iter_errors(data))
        assert not errors, (path, errors[0].message)
    assert list(validator.iter_errors({"base": "x.toml", "parameters": "nope"}))


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("counterfactuals/*.toml")),
                         ids=lambda p: p.stem)
def test_each_counterfactual_describes_itself(path):
    """A counterfactual's manifest and report carry its own description, not the
    flagship's it extends."""
    flagship = load_scenario(SCENARIOS / "ai_talent_war_2024.toml")
    scenario = load_scenario(path)
    assert scenario.description and scenario.description != flagship.description
    assert scenario.description.startswith("The flagship, with ")
