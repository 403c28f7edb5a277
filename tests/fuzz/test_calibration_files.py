"""Property-based fuzz of calibration files: the shipped flagship calibration mutated
(keys deleted or renamed, unknown keys, values of other types, extremes, hostile strings),
planned only (every check made before the first run). Either it plans, or a UserError whose
first line names the file; never another exception; nothing written."""

from __future__ import annotations

import tomllib

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.calibration.run import plan_calibration
from sim.errors import UserError
from tests.conftest import ROOT, SCENARIOS
from tests.fuzz.strategies import examples, record
from tests.fuzz.test_bad_inputs import VALUES, mutate, paths, snapshot

SHIPPED = SCENARIOS / "calibration" / "ai_talent_war_2024.toml"


@settings(max_examples=examples(25), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), op=st.sampled_from(["delete", "replace", "add", "rename"]),
       value=VALUES)
def test_mutated_calibration_files(tmp_path_factory, data, op, value):
    folder = tmp_path_factory.mktemp("fuzz")
    doc = tomllib.loads(SHIPPED.read_text())
    doc["base"] = str((SHIPPED.parent / doc["base"]).resolve())
    path = data.draw(st.sampled_from(paths(doc)))
    doc = mutate(doc, path, op, value)
    target = folder / "calibration.toml"
    try:
        target.write_text(tomli_w.dumps(doc))
    except (TypeError, ValueError):
        return  # a value TOML cannot hold
    before = snapshot(folder, ROOT / "results")
    try:
        plan_calibration(target)
        record("calibration_file", "accepted")
    except UserError as err:
        clean = str(err).startswith(str(target))
        record("calibration_file", "refused" if clean else "UNCLEAN")
        assert clean, str(err)
    assert snapshot(folder, ROOT / "results") == before
