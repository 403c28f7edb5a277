"""The small recovery problem shared by the tests and benchmarks/calibration_recovery.py."""

from pathlib import Path

from sim.calibration.run_measures import JobToJobRate, PayQuantile, UnemploymentRate

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = ROOT / "scenarios" / "textbook_job_ladder.toml"
FIXED = ["market.engineers=2000", "months=12"]
TRUTH = {"tiers.engineer.separation": 0.02, "tiers.engineer.search_employed": 0.10}
PARAMETERS = [
    {"key": "tiers.engineer.separation", "min": 0.005, "max": 0.08, "scale": "log"},
    {"key": "tiers.engineer.search_employed", "min": 0.02, "max": 0.4, "scale": "log"},
]
MOMENTS = [
    {"name": "unemployment", "measure": {"kind": "unemployment_rate", "window": [6, 12]}},
    {"name": "job_to_job", "measure": {"kind": "job_to_job_rate", "window": [1, 12]}},
    {"name": "median_pay", "measure": {"kind": "pay_quantile", "tier": "engineer", "q": 0.5,
                                       "window": [6, 12]}},
]
MEASURES = [
    UnemploymentRate(kind="unemployment_rate", window=[6, 12]),
    JobToJobRate(kind="job_to_job_rate", window=[1, 12]),
    PayQuantile(kind="pay_quantile", tier="engineer", q=0.5, window=[6, 12]),
]
ESTIMATOR = {"replicates": 4, "budget": 160, "profile_points": 0,
             "search": {"points": 6, "xatol": 0.01, "fatol": 0.01}}
