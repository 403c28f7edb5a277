"""Property-based fuzz of scenario files and command lines: valid files mutated (keys
deleted, types changed, numbers pushed to extremes, hostile strings, broken bytes) and
hostile command-line values. For each: either it is accepted, or the command stops with
exit status 2 and a message naming the file (or the option), no traceback, and no file
created anywhere."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from tests.conftest import ROOT, SCENARIOS
from tests.fuzz.strategies import examples, record

BASES = sorted([*SCENARIOS.glob("*.toml"), *SCENARIOS.glob("counterfactuals/*.toml")])
HOSTILE_STRINGS = ["", "../../escaped", "/x", "a\x00b", "$x^2$", "=cmd()", "+1", "@SUM(A1)",
                   "<script>alert(1)</script>", "x" * 300, "é", "\n", "researcher", "Meta",
                   "2023-13", "0000-00", "1e308", "nan", "inf", "true"]
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 10**20, 2**63, -(2**63)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 1e-308, 0.0, -0.0]),
    st.sampled_from(HOSTILE_STRINGS), st.text(max_size=20),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["x", "min", "max", "share"]), st.integers(-5, 5),
                    max_size=2),
)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in a nested document (dict keys and list indices)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for k, value in enumerate(node):
            out += paths(value, (*prefix, k))
    return out


def mutate(doc: dict, path: tuple, op: str, value: Any) -> dict:
    """One mutation at ``path``: delete, replace, add an unknown key beside, or rename."""
    doc = copy.deepcopy(doc)
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if op == "delete" and isinstance(parent, dict):
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)
    elif op == "add" and isinstance(parent, dict):
        parent["unknown_key"] = value
    else:
        parent[last] = value
    return doc


def snapshot(*folders: Path) -> set[str]:
    """Every file and folder under ``folders``."""
    return {str(p) for folder in folders if folder.exists() for p in folder.rglob("*")}


def assert_clean(status: int | None, err: str, named: str, test: str) -> None:
    """Accepted (0), or exit 2 with a message naming ``named`` and no traceback."""
    clean = "Traceback" not in err and (status == 0 or (status == 2 and named in err))
    record(test, ("accepted" if status == 0 else "refused") if clean else "UNCLEAN")
    assert "Traceback" not in err, err
    assert status in (0, 2), (status, err)
    if status == 2:
        assert named in err, (named, err)


def call(argv: list[str]) -> int | None:
    """``talentwar ARGV`` in this process; argparse's own refusals exit with status 2."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2


SETTINGS = settings(max_examples=examples(60), deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@SETTINGS
@given(base=st.sampled_from(BASES), data=st.data(),
       op=st.sampled_from(["delete", "replace", "add", "rename"]), value=VALUES)
def test_mutated_scenario_files(tmp_path_factory, capsys, base, data, op, value):
    folder = tmp_path_factory.mktemp("fuzz")
    doc = tomllib.loads(base.read_text())
    doc.pop("extends", None)
    # Resolve a counterfactual's base by file, so the mutation is of a complete scenario.
    text = base.read_text()
    if text.lstrip().startswith("extends"):
        from sim.scenario import read_toml
        doc = read_toml(base)
    path = data.draw(st.sampled_from(paths(doc)))
    doc = mutate(doc, path, op, value)
    target = folder / "s.toml"
    try:
        target.write_text(tomli_w.dumps(doc))
    except (TypeError, ValueError):
        return  # a value TOML cannot hold (None, NaN in some writers): nothing to test
    before = snapshot(folder, ROOT / "results")
    status = call(["validate", str(target)])
    out = capsys.readouterr()
    assert_clean(status, out.err, str(target), "mutated_file")
    assert snapshot(folder, ROOT / "results") == before


@SETTINGS
@given(base=st.sampled_from(BASES), cut=st.floats(0, 1), junk=st.binary(max_size=40))
def test_damaged_bytes(tmp_path_factory, capsys, base, cut, junk):
    folder = tmp_path_factory.mktemp("fuzz")
    raw = base.read_bytes()
    at = int(cut * len(raw))
    target = folder / base.name
    target.write_bytes(raw[:at] + junk + raw[at:])
    if base.parent.name == "counterfactuals":
        (folder.parent / "ai_talent_war_2024.toml").write_bytes(
            (SCENARIOS / "ai_talent_war_2024.toml").read_bytes())
    before = snapshot(folder, ROOT / "results")
    status = call(["validate", str(target)])
    out = capsys.readouterr()
    assert_clean(status, out.err, str(target), "damaged_bytes")
    assert snapshot(folder, ROOT / "results") == before


TEXTBOOK = SCENARIOS / "textbook_job_ladder.toml"
OPTION_VALUES = st.one_of(st.sampled_from(["-1", "0", "1", "10**20", str(2**64), "1e3",
                                           "abc", "", " ", "nan", "2.5"]),
                          st.text(max_size=8))
SET_KEYS = st.sampled_from(["market.engineers", "months", "seed", "tiers.engineer.share",
                            "firms.firm01.gpus", "firmss.x", "choice.noise", "compute.width",
                            "generated_firms.0.count", "generated_firms.9.count", "a..b",
                            "+firms.New.gpus", "tiers.engineer", "name", "events.0.month"])


@settings(max_examples=examples(30), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["--seed", "--months", "--set", "--engineers"]),
       key=SET_KEYS, value=OPTION_VALUES)
def test_hostile_command_lines(tmp_path_factory, capsys, option, key, value):
    folder = tmp_path_factory.mktemp("fuzz")
    out_dir = folder / "run"
    extra = [option, f"{key}={value}" if option == "--set" else value]
    argv = ["run", str(TEXTBOOK), "--quiet", "--no-plots", "--out", str(out_dir),
            "--set", "market.engineers=300", "--months", "2", *extra]
    before = snapshot(folder, ROOT / "results")
    status = call(argv)
    err = capsys.readouterr().err
    clean = "Traceback" not in err and status in (0, 2)
    record("command_line", ("accepted" if status == 0 else "refused") if clean else "UNCLEAN")
    assert clean, (status, err)
    if status == 2:
        assert option in err or str(TEXTBOOK) in err or key.lstrip("+") in err, err
        assert snapshot(folder, ROOT / "results") == before
    else:
        assert (out_dir / "manifest.json").is_file()
