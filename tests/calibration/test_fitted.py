"""The fitted scenario a calibration writes is the base scenario with the calibration's fixed
overrides and the estimates, also for a key through a list."""

from __future__ import annotations

from sim.calibration.run import FITTED_SCENARIO, fitted_scenario_text, plan_calibration
from sim.scenario import apply_overrides, load_scenario, validate
from tests.conftest import SCENARIOS


def test_the_fitted_scenario_is_the_base_with_the_estimates(tmp_path):
    plan = plan_calibration(SCENARIOS / "calibration" / "ai_talent_war_2024.toml")
    assert any(key.split(".")[1].isdigit() for key in plan.keys)  # a key through a list
    estimate = [p.from_unit(0.37) for p in plan.spec.parameters]
    (tmp_path / FITTED_SCENARIO).write_text(fitted_scenario_text(plan, tmp_path, estimate))
    fitted = load_scenario(tmp_path / FITTED_SCENARIO).to_dict()
    expected = validate(apply_overrides(plan.base, dict(zip(plan.keys, estimate, strict=True))),
                        "expected").to_dict()
    assert fitted.pop("name") == plan.spec.name + "_fitted"
    expected.pop("name")
    assert fitted == expected
