"""Property-based fuzz of sweep files (issue 12): valid sweep files (the shipped ones)
mutated — keys deleted, types changed, numbers pushed to extremes, hostile strings, bytes
damaged — are either planned, or refused with a :class:`UserError` whose first line names the
file; never another exception, and no file is created anywhere.

Only :func:`sim.sweeps.run.plan_sweep` runs (every check before a sweep's first run); no
sweep is run. CI tries ``TALENTWAR_FUZZ_EXAMPLES`` cases (default 60); the longer profile of
docs/validation.md is ``TALENTWAR_FUZZ_EXAMPLES=2000 pytest -q -s tests/sweeps/test_fuzz.py``.
"""

from __future__ import annotations

import copy
import math
import os
import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.errors import UserError
from sim.sweeps.run import plan_sweep
from tests.sweeps.common import ROOT

SWEEPS = ROOT / "scenarios" / "sweeps"
EXAMPLES = int(os.environ.get("TALENTWAR_FUZZ_EXAMPLES", "60"))


def _shipped() -> list[dict[str, Any]]:
    """The shipped sweep files, with ``base`` made absolute (the mutated copies are written
    elsewhere) and the Sobol sample cut to 8 (planning checks every point)."""
    docs = []
    for path in sorted(SWEEPS.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if "parameters" not in data:
            continue  # a base scenario, not a sweep file
        data["base"] = str((path.parent / data["base"]).resolve())
        if data.get("design", {}).get("kind") == "sobol":
            data["design"]["samples"] = 8
        docs.append(data)
    return docs


SHIPPED = _shipped()

HOSTILE = ["", " ", "../../escaped", "/x", "a" * 300, "a\x00b", "x\ny", "$x$", "<script>",
           "=1+1", "..", ".", "-", "名前", "\u202e", "C:\\x", "~", "%s", "{}", "\x7f",
           "sweep", "compute.threshold", "top_hhi", "log", "grid", "sobol", "mean"]
EXTREME_INTS = [0, 1, -1, 2, 3, 7, 64, 1000, 2**31, 2**63 - 1, -(2**63), 10**6, 10**7,
                10**8, 100_000, 100_001]
EXTREME_FLOATS = [0.0, -0.0, 1e-308, 5e-324, 1e308, -1e308, math.inf, -math.inf, math.nan,
                  0.5, 1.5, -2.5, 1e15]

scalars = st.one_of(
    st.sampled_from(HOSTILE), st.text(max_size=20), st.sampled_from(EXTREME_INTS),
    st.integers(min_value=-(2**63), max_value=2**63 - 1), st.sampled_from(EXTREME_FLOATS),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans())
KEYS = [*HOSTILE[:8], "key", "min", "values"]
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)),
    max_leaves=6)


# --------------------------------------------------------------------------- TOML writer


def _toml_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_string(str(k))} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise TypeError(type(value))


def to_toml(data: dict[str, Any]) -> str:
    """A TOML document of ``data`` (tables inline, so any nesting fits on one line)."""
    return "".join(f"{_toml_string(str(k))} = {_toml_value(v)}\n" for k, v in data.items())


# --------------------------------------------------------------------------- mutations


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of a nested document."""
    out = []
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else [])
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


@st.composite
def sweep_files(draw: st.DrawFn) -> bytes:
    """A shipped sweep file with 1 to 4 mutations, as the bytes of a file."""
    doc = copy.deepcopy(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(doc)
        kind = draw(st.sampled_from(["delete", "replace", "replace", "extreme", "add"]))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(doc, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(values)
        elif kind == "extreme":
            parent[path[-1]] = draw(st.sampled_from(EXTREME_INTS + EXTREME_FLOATS + HOSTILE))
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from([*HOSTILE[:10], "extra"]))] = draw(values)
    text = to_toml(doc).encode("utf-8")
    damage = draw(st.sampled_from(["none"] * 8 + ["truncate", "bytes"]))
    if damage == "truncate" and text:
        text = text[:draw(st.integers(0, len(text) - 1))]
    elif damage == "bytes":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.binary(min_size=1, max_size=8)) + text[at:]
    return text


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() \
        else []


def test_mutated_sweep_files_plan_or_fail_cleanly(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    counts: Counter[str] = Counter()
    failures: list[str] = []
    results = ROOT / "results"
    watched = [results, Path.cwd()]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(sweep_files())
    def one(content: bytes) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        path = folder / "mutated.toml"
        path.write_bytes(content)
        before = [_listing(folder), _top(tmp_path), *(_top(w) for w in watched)]
        counts["cases"] += 1
        try:
            plan_sweep(path)
            counts["planned"] += 1
        except UserError as err:
            first = str(err).splitlines()[0] if str(err) else ""
            if first.startswith(f"{path}: "):
                counts["refused cleanly"] += 1
            else:
                failures.append(f"first line does not name the file: {first[:200]!r}")
        except Exception as err:  # anything else is a bug
            failures.append(f"{type(err).__name__}: {str(err)[:200]} for {content[:300]!r}")
        after = [_listing(folder), _top(tmp_path), *(_top(w) for w in watched)]
        if after != before:
            failures.append(f"files created: {before} -> {after}")

    one()
    clean = counts["planned"] + counts["refused cleanly"]
    with capsys.disabled():
        print(f"\nsweep-file fuzz: {counts['cases']} cases, {counts['planned']} planned, "
              f"{counts['refused cleanly']} refused cleanly, {len(failures)} not clean "
              f"({clean / max(counts['cases'], 1):.1%} clean)")
    assert not failures, "\n".join(failures[:10])


def _top(folder: Path) -> list[str]:
    """The names directly in ``folder`` (the test's temporary folder, results/, the working
    folder), without hypothesis's own ``.hypothesis`` folder."""
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if p.name != ".hypothesis")


def test_the_toml_writer_round_trips() -> None:
    for doc in SHIPPED:
        assert tomllib.loads(to_toml(doc)) == doc
