"""Property-based fuzzing of damaged run folders (hypothesis).

Each example copies one small finished run, damages one of its files (cut short, a column
or key deleted, a value of another type, random bytes, invalid JSON, an empty file, a
folder in its place) and runs ``talentwar plot``, ``report`` or ``compare`` on it through
:func:`sim.cli.main`. The command must either succeed (exit 0) or refuse the folder with
exit status 2 and one line on standard error naming the damaged file; it must never raise
(a traceback), never leave a hidden temporary file, and write nothing when it refuses.

CI runs 40 examples with a fixed seed. The longer profile draws fresh examples::

    TALENTWAR_FUZZ_EXAMPLES=1000 TALENTWAR_FUZZ_STATS=fuzz.json \\
        .venv/bin/python -m pytest -q tests/output/test_fuzz_run_folders.py

and writes the outcomes (cases tried, exit statuses by command) to ``fuzz.json``; the
figures are in docs/validation.md, section "Run folders".
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.output.folders import (
    add_deals,
    assert_refused,
    copy_run,
    leftovers,
    run_cli,
    tree,
)

EXAMPLES = int(os.environ.get("TALENTWAR_FUZZ_EXAMPLES", "40"))
LONG = "TALENTWAR_FUZZ_EXAMPLES" in os.environ
FILES = ("manifest.json", "market.csv", "firms.csv", "flows.csv", "deals.csv",
         "engineers.csv.gz", "rates.png")
KINDS = ("truncate", "delete", "change_type", "random_bytes", "invalid_text", "empty",
         "directory")
COMMANDS = ("plot", "report", "compare")
OUTCOMES: Counter[str] = Counter()

HOSTILE_CELLS = st.one_of(
    st.sampled_from(["", "abc", "1e999", "-1", "-inf", "nan", "True", "1.5", "$x^$", "=1+1",
                     "0", "99999999999999999999", "2024-13", "2024-01", "unemployment",
                     "-0", "1,000", '"', "\n"]),
    st.text(max_size=12),
)
JSON_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@pytest.fixture(scope="module")
def base(two_tier_runs, tmp_path_factory):
    """A finished run (with two deals, so that deals are read and drawn) and a second run
    to compare it with."""
    root = tmp_path_factory.mktemp("fuzz")
    run = copy_run(two_tier_runs[0], root / "base")
    add_deals(run)
    other = copy_run(two_tier_runs[1], root / "other")
    yield run, other
    stats = os.environ.get("TALENTWAR_FUZZ_STATS")
    if stats:
        Path(stats).write_text(json.dumps(dict(sorted(OUTCOMES.items())), indent=2) + "\n")


def _key_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a JSON document (objects and arrays), to depth 3."""
    paths: list[tuple[Any, ...]] = []
    if len(prefix) >= 3:
        return paths
    items = (data.items() if isinstance(data, dict)
             else enumerate(data) if isinstance(data, list) else [])
    for key, value in items:
        paths.append((*prefix, key))
        paths.extend(_key_paths(value, (*prefix, key)))
    return paths


def _damage_json(path: Path, kind: str, draw: Any) -> None:
    data = json.loads(path.read_text())
    keys = _key_paths(data)
    key = draw(st.sampled_from(keys))
    holder = data
    for part in key[:-1]:
        holder = holder[part]
    if kind == "delete":
        del holder[key[-1]]
    else:
        holder[key[-1]] = draw(JSON_VALUES)
    path.write_text(json.dumps(data, indent=2))


def _damage_csv(path: Path, kind: str, draw: Any) -> None:
    packed = path.name.endswith(".gz")
    raw = path.read_bytes()
    rows = list(csv.reader(io.StringIO((gzip.decompress(raw) if packed else raw).decode())))
    width = len(rows[0])
    column = draw(st.integers(0, width - 1))
    if kind == "delete":
        rows = [[v for i, v in enumerate(row) if i != column] for row in rows]
    else:
        body = range(1, len(rows))
        if not body:
            rows.append([draw(HOSTILE_CELLS) for _ in range(width)])
        else:
            every = draw(st.booleans())
            chosen = list(body) if every else [draw(st.sampled_from(body))]
            value = draw(HOSTILE_CELLS)
            for r in chosen:
                if column < len(rows[r]):
                    rows[r][column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue().encode()
    path.write_bytes(gzip.compress(text) if packed else text)


def damage(folder: Path, file: str, kind: str, draw: Any) -> None:
    """Damage ``folder/file`` in the way ``kind`` says, drawing the details."""
    path = folder / file
    raw = path.read_bytes()
    if kind in ("delete", "change_type") and file.endswith((".csv", ".csv.gz", ".json")):
        (_damage_json if file.endswith(".json") else _damage_csv)(path, kind, draw)
    elif kind in ("truncate", "delete", "change_type"):
        path.write_bytes(raw[: int(len(raw) * draw(st.floats(0, 1)))])
    elif kind == "random_bytes":
        noise = draw(st.binary(min_size=1, max_size=300))
        at = draw(st.integers(0, len(raw)))
        how = draw(st.sampled_from(["replace", "overwrite", "insert"]))
        path.write_bytes(noise if how == "replace" else
                         raw[:at] + noise + raw[at + len(noise):] if how == "overwrite" else
                         raw[:at] + noise + raw[at:])
    elif kind == "invalid_text":
        text = raw.decode("utf-8", errors="replace")
        at = draw(st.integers(0, len(text)))
        junk = draw(st.one_of(st.sampled_from(list('{}[],:"\n')), st.text(max_size=20)))
        path.write_text(text[:at] + junk + text[at + draw(st.integers(0, 3)):])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "directory":
        path.unlink()
        path.mkdir()
        (path / "inside.txt").write_text("a folder where a file should be\n")


@settings(max_examples=EXAMPLES, deadline=None, derandomize=not LONG, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_damaged_run_folders_are_refused_cleanly_or_read(base, data):
    run, other = base
    file = data.draw(st.sampled_from(FILES), label="file")
    kind = data.draw(st.sampled_from(KINDS), label="damage")
    command = data.draw(st.sampled_from(COMMANDS), label="command")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        damaged = copy_run(run, root / "damaged")
        second = copy_run(other, root / "other")
        (root / "cwd").mkdir()
        damage(damaged, file, kind, data.draw)
        argv = {"plot": ["plot", damaged], "report": ["report", damaged],
                "compare": (["compare", damaged, second] if data.draw(st.booleans())
                            else ["compare", second, damaged])}[command]
        before = tree(root)
        outcome = run_cli(argv, root / "cwd")  # an exception here is a traceback: a bug
        OUTCOMES["cases"] += 1
        OUTCOMES[f"{command} exit {outcome.status}"] += 1
        if outcome.status != 0:
            assert_refused(outcome, file)
            assert tree(root) == before, "a refused folder had something written"
        assert leftovers(root) == []
        OUTCOMES["clean"] += 1
