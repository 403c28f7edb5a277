"""Bad calibration files get clean errors (exit 2, nothing written); the schema command."""

import json

import jsonschema
import pytest

from sim.calibration.spec import read_calibration_file
from sim.cli import main
from tests.calibration.common import ROOT, TEXTBOOK

GOOD = f"""
base = "{TEXTBOOK}"
set = ["market.engineers=500", "months=3"]
[[parameters]]
key = "tiers.engineer.search_employed"
min = 0.02
max = 0.4
[[moments]]
name = "job_to_job"
measure = {{ kind = "job_to_job_rate", window = [1, 3] }}
target = 0.04
se = 0.01
source = "synthetic"
"""

BAD = {
    "unknown key": (GOOD + "\ncolour = 'red'\n", "colour"),
    "no source": (GOOD.replace('source = "synthetic"', ""), "moments[0].source"),
    "unknown measure": (GOOD.replace("job_to_job_rate", "happiness"), "moments[0].measure"),
    "bad bounds": (GOOD.replace("max = 0.4", "max = 0.01"), "min must be below max"),
    "values not range": (GOOD.replace("min = 0.02\nmax = 0.4", "values = [0.1, 0.2]"),
                         "min and max"),
    "no such key": (GOOD.replace("tiers.engineer.search_employed", "tiers.engineer.zeal"),
                    "parameters[0]"),
    "value out of schema": (GOOD.replace("max = 0.4", "max = 4.0"), "parameters[0]"),
    "no such tier": (GOOD.replace('kind = "job_to_job_rate"',
                                  'kind = "job_to_job_rate", tier = "wizard"'), "wizard"),
    "window beyond": (GOOD.replace("window = [1, 3]", "window = [1, 30]"), "outside"),
    "bad quantile": (GOOD.replace('kind = "job_to_job_rate", window = [1, 3]',
                                  'kind = "pay_quantile", tier = "engineer", q = 0.7, '
                                  'window = [1, 3]'), "q must be"),
    "fewer moments than parameters": (
        GOOD.replace("[[moments]]", "[[parameters]]\nkey = 'tiers.engineer.separation'\n"
                     "min = 0.01\nmax = 0.05\n[[moments]]"), "at least as many"),
    "no base": (GOOD.replace(str(TEXTBOOK), "nowhere.toml"), "no such scenario file"),
    "not toml": ("base = ", "not valid TOML"),
    "name a path": ('name = "../../escape"\n' + GOOD, "name"),
    "name absolute": ('name = "/tmp/x"\n' + GOOD, "name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_files_exit_2_and_write_nothing(tmp_path, capsys, case):
    text, expected = BAD[case]
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err or "nowhere" in err, err
    assert expected in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]  # nothing written
    assert "Traceback" not in err
    assert not out.exists()


def test_resume_needs_a_calibration_folder(tmp_path, capsys):
    assert main(["calibrate", "--resume", str(tmp_path)]) == 2
    assert "not a calibration folder" in capsys.readouterr().err


def test_schema_kind_calibration_validates_the_shipped_files(capsys):
    assert main(["schema", "--kind", "calibration"]) == 0
    schema = json.loads(capsys.readouterr().out)
    for path in sorted((ROOT / "scenarios" / "calibration").glob("*.toml")):
        spec, raw = read_calibration_file(path)
        jsonschema.validate(raw, schema)
        assert 1 <= len(spec.parameters) <= len(spec.fitted)  # the order condition
        assert len(spec.moments) >= 10
        assert sum(m.held_out for m in spec.moments) >= 3
        assert all(m.source.strip() for m in spec.moments)


def test_docs_reference_is_generated(capsys):
    assert main(["schema", "--kind", "calibration", "--markdown"]) == 0
    reference = capsys.readouterr().out
    docs = (ROOT / "docs" / "calibrate.md").read_text(encoding="utf-8")
    assert reference.strip() in docs, "regenerate: talentwar schema --kind calibration --markdown"


def test_the_command_runs_a_good_file(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text(GOOD + "[estimator]\nreplicates = 1\nbudget = 3\nprofile_points = 2\n"
                    "[estimator.search]\npoints = 3\nlocal = 'none'\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["calibrate", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    for name in ("fitted.toml", "parameters.csv", "moments.csv", "runs.csv", "points.csv"):
        assert (out / name).is_file()
    # a folder that exists and is not empty is refused
    assert main(["calibrate", str(path), "--out", str(out), "--quiet"]) == 2


@pytest.mark.parametrize(("out", "words"), [
    ("a_file/out", "cannot create the calibration folder"),  # its parent is a file
    ("a_file", "exists and is not empty"),
])
def test_an_unusable_out_folder_is_refused_before_any_run(tmp_path, capsys, out, words):
    path = tmp_path / "c.toml"
    path.write_text(GOOD, encoding="utf-8")
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    assert main(["calibrate", str(path), "--out", str(tmp_path / out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert {p.name for p in tmp_path.iterdir()} == {"c.toml", "a_file"}  # nothing written
