"""A run's ``manifest.json``: how the run was made, written with the run and checked when
read back (:func:`load_manifest`), with the parts of its scenario that readers draw
(:func:`check_scenario_parts`). A damaged manifest is refused with one
:class:`~sim.errors.UserError` naming the file, the key and what was expected.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, TypedDict, cast

from sim.errors import UserError
from sim.scenario.schema import NAME_PATTERN

MANIFEST = "manifest.json"


class Manifest(TypedDict, total=False):
    """``manifest.json``: how a run was made (keys in the order they are written).

    :func:`check_manifest` says which keys a run folder's manifest must have.
    """

    scenario: dict[str, Any]
    seed: int
    months: int
    engineers: int
    firms: int
    versions: dict[str, str]
    git_commit: str | None
    command: list[str]
    started: str
    warnings: list[str]
    finished: str
    wall_time_seconds: float
    files: list[str]


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` into ``folder`` (indented JSON, one trailing newline)."""
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def _json_type(value: Any) -> str:
    """What a JSON value is, for messages: ``text 'abc'``, ``number 3``, ``an array``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "an array"
    return "an object"


NAME = re.compile(NAME_PATTERN)
MONTH_DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _whole(value: Any, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and value >= 0)


def check_manifest(data: Any, path: Path) -> Manifest:
    """Check what the readers of a manifest use; return it, or raise :class:`UserError`.

    Required: ``scenario`` (an object whose ``name`` is a name as in scenario files),
    ``seed`` (a whole number >= 0; older manifests give it as ``scenario.seed``) and
    ``months`` (a whole number >= 1). Checked when present: ``scenario.description`` (text),
    ``scenario.compute.threshold`` (a number >= 0), ``engineers`` and ``firms`` (whole
    numbers), ``versions`` (an object of texts), ``git_commit`` (text or null), ``command``
    and ``files`` (arrays of texts), ``started`` and ``finished`` (texts),
    ``wall_time_seconds`` (a number >= 0).
    """

    def expect(ok: bool, key: str, what: str, value: Any) -> None:
        if not ok:
            where = f"{path}: {key}" if key else str(path)
            raise UserError(f"{where}: expected {what}, got {_json_type(value)}")

    def missing(key: str, what: str) -> UserError:
        return UserError(f"{path}: {key}: missing (expected {what})")

    expect(isinstance(data, dict), "", "a JSON object", data)
    if "scenario" not in data:
        raise missing("scenario", "an object with the scenario's name")
    scenario = data["scenario"]
    expect(isinstance(scenario, dict), "scenario", "an object", scenario)
    if "name" not in scenario:
        raise missing("scenario.name", "the scenario's name")
    name = scenario["name"]
    expect(isinstance(name, str) and NAME.match(name) is not None, "scenario.name",
           "a name (a letter or digit, then letters, digits, _ . -; at most 64)", name)
    if "description" in scenario:
        expect(isinstance(scenario["description"], str), "scenario.description", "text",
               scenario["description"])
    if "compute" in scenario:
        compute = scenario["compute"]
        expect(isinstance(compute, dict), "scenario.compute", "an object", compute)
        if "threshold" in compute:
            expect(_number(compute["threshold"]), "scenario.compute.threshold",
                   "a number >= 0", compute["threshold"])
    if "seed" in data:
        expect(_whole(data["seed"]), "seed", "a whole number >= 0", data["seed"])
    elif "seed" in scenario:
        expect(_whole(scenario["seed"]), "scenario.seed", "a whole number >= 0",
               scenario["seed"])
    else:
        raise missing("seed", "a whole number >= 0")
    if "months" not in data:
        raise missing("months", "a whole number >= 1")
    expect(_whole(data["months"], 1), "months", "a whole number >= 1", data["months"])
    for key in ("engineers", "firms"):
        if key in data:
            expect(_whole(data[key]), key, "a whole number >= 0", data[key])
    if "versions" in data:
        found = data["versions"]
        expect(isinstance(found, dict) and all(isinstance(v, str) for v in found.values()),
               "versions", "an object of texts", found)
    if "git_commit" in data:
        expect(data["git_commit"] is None or isinstance(data["git_commit"], str),
               "git_commit", "text or null", data["git_commit"])
    for key in ("command", "files"):
        if key in data:
            found = data[key]
            expect(isinstance(found, list) and all(isinstance(v, str) for v in found), key,
                   "an array of texts", found)
    for key in ("started", "finished"):
        if key in data:
            expect(isinstance(data[key], str), key, "text", data[key])
    if "wall_time_seconds" in data:
        expect(_number(data["wall_time_seconds"]), "wall_time_seconds", "a number >= 0",
               data["wall_time_seconds"])
    return cast(Manifest, data)


def read_bytes(path: Path) -> bytes:
    """A file's bytes, with a :class:`UserError` naming it if it is not a readable file."""
    if path.is_dir():
        raise UserError(f"{path}: is a folder, not a file")
    try:
        return path.read_bytes()
    except OSError as err:
        raise UserError(f"{path}: cannot be read: {err.strerror or err}") from None


def load_manifest(run_dir: Path) -> Manifest:
    """Read and check a run folder's manifest (:func:`check_manifest`), with a clear
    :class:`UserError` if it is missing, not UTF-8, not JSON or not a manifest."""
    path = Path(run_dir) / MANIFEST
    if not path.exists() and not path.is_symlink():
        raise UserError(f"{run_dir}: not a run folder (no {MANIFEST})")
    raw = read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text (byte {err.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
    except RecursionError:
        raise UserError(f"{path}: not a manifest: nested too deeply") from None
    return check_manifest(data, path)


def check_scenario_parts(scenario: dict[str, object], path: Path) -> None:
    """Check the parts of a manifest's scenario that plots draw: ``firms`` (an object
    keyed by firm names) and ``events`` (an array of objects, each with a ``type``, a
    ``month`` (a model month >= 0 or YYYY-MM), names as ``firm``, ``buyer``, ``target``
    or ``kind``, and a whole ``months`` >= 1 where given).

    Raises
    ------
    UserError
        Naming ``path``, the key and what is wrong.
    """
    firms = scenario.get("firms", {})
    if not isinstance(firms, dict) or any(NAME.match(str(k)) is None for k in firms):
        raise UserError(f"{path}: scenario.firms: expected an object keyed by firm names")
    events = scenario.get("events", [])
    if not isinstance(events, list):
        raise UserError(f"{path}: scenario.events: expected an array")
    for k, event in enumerate(events):
        where = f"{path}: scenario.events[{k}]"
        if not isinstance(event, dict) or not isinstance(event.get("type"), str) \
                or NAME.match(event["type"]) is None:
            raise UserError(f"{where}: expected an object with a type (a name)")
        month = event.get("month")
        if not ((isinstance(month, int) and not isinstance(month, bool) and month >= 0)
                or (isinstance(month, str) and MONTH_DATE.match(month))):
            raise UserError(f"{where}.month: expected a model month >= 0 or YYYY-MM, "
                            f"got {month!r:.40}")
        for key in ("firm", "buyer", "target", "kind"):
            value = event.get(key)
            if value is not None and not (isinstance(value, str) and NAME.match(value)):
                raise UserError(f"{where}.{key}: expected a name, got {value!r:.40}")
        months = event.get("months")
        if months is not None and not (isinstance(months, int) and not isinstance(months, bool)
                                       and 1 <= months <= 100_000):
            raise UserError(f"{where}.months: expected a whole number from 1 to 100000, "
                            f"got {months!r:.40}")
