"""Loading scenario files: ``extends`` chains, ``--set`` overrides, strict validation.

Loading follows three steps:

1. read the TOML file and, if it says ``extends = "base.toml"``, deep-merge it over its base
   (tables merge key by key; ``[[events]]`` are appended to the base's timeline; any other
   value is replaced);
2. apply command-line overrides ``--set a.b.c=value`` the same way;
3. validate strictly against :mod:`sim.scenario.schema`: unknown keys, wrong types and
   impossible values are rejected with an error naming the file, the key path and what was
   expected.
"""

from __future__ import annotations

import copy
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.errors import UserError, did_you_mean
from sim.scenario.schema import EVENT_TYPES, Scenario, Strict

EventOrigins = list[tuple[str, int]]
"""Where each event of a merged timeline comes from: ``(file, index in that file)``, in
the merged order (a base's events first)."""

MAX_EXTENDS = 32
"""Longest chain of ``extends``."""
MAX_FILE_BYTES = 10_000_000
"""Largest scenario or sweep file read."""
ADDED_TABLES = ("firms", "tiers")
"""Tables whose entries a ``--set`` may add only when asked to, with a leading ``+``."""


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``over`` into a copy of ``base``: tables merge key by key, other values replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def parse_toml_file(path: Path, what: str) -> dict[str, Any]:
    """The data of a TOML file, or a :class:`UserError` naming the file (``what`` says what
    kind of file it should be) if it is missing or not valid TOML."""
    if not path.is_file():
        raise UserError(f"{path}: no such {what} file")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UserError(f"{path}: {path.stat().st_size:,} bytes; a {what} file is at most "
                            f"{MAX_FILE_BYTES:,} bytes")
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not a text file in UTF-8 (byte {err.start}); expected a "
                        f"TOML {what} file") from None
    except RecursionError:
        raise UserError(f"{path}: tables or arrays nested too deeply to read") from None
    except OSError as err:
        raise UserError(f"{path}: cannot read it: {err.strerror}") from None


def read_toml(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a TOML scenario file and resolve its ``extends`` chain (at most
    :data:`MAX_EXTENDS` files deep) into one mapping."""
    return read_toml_traced(path, _seen)[0]


def read_toml_traced(path: Path, _seen: tuple[Path, ...] = ()
                     ) -> tuple[dict[str, Any], EventOrigins]:
    """:func:`read_toml`, and where each event of the merged timeline comes from (its file
    and its index there), so that an error names an event as its file counts it."""
    path = Path(path)
    if len(_seen) >= MAX_EXTENDS:
        raise UserError(f"{path}: extends: the chain of bases is more than {MAX_EXTENDS} files "
                        "deep")
    data = parse_toml_file(path, "scenario")
    base_name = data.pop("extends", None)
    own = data.get("events")
    origins = [(str(path), k) for k in range(len(own))] if isinstance(own, list) else []
    if base_name is None:
        return data, origins
    if not isinstance(base_name, str):
        raise UserError(f"{path}: extends: expected a file name (string), got {base_name!r}")
    base_path = (path.parent / base_name).resolve()
    if base_path in _seen:
        raise UserError(f"{path}: extends: {base_name} extends itself (a cycle)")
    if not base_path.is_file():
        raise UserError(f"{path}: extends: no such file {base_name} (looked at {base_path})")
    base, base_origins = read_toml_traced(base_path, (*_seen, path.resolve()))
    events = [*base.pop("events", []), *data.pop("events", [])]
    merged = deep_merge(base, data)
    if events:
        merged["events"] = events
    return merged, [*base_origins, *origins]


EVENT_PATH = re.compile(r"events\[(\d+)\]((?:\.[A-Za-z_][\w-]*)*)")
"""An event's key path in a message: ``events[13].firm``."""


def name_events(message: str, source: str, origins: EventOrigins) -> str:
    """``message`` with each ``events[k]`` of the merged timeline named as its own file
    counts it: ``events[0]`` for an event of ``source`` itself, ``events[3].firm (an event
    of base.toml)`` for one of a base (no change where the origin is unknown)."""
    def rename(match: re.Match[str]) -> str:
        k = int(match[1])
        if k >= len(origins):
            return match[0]
        file, index = origins[k]
        where = "" if file == source else f" (an event of {file})"
        return f"events[{index}]{match[2]}{where}"

    return EVENT_PATH.sub(rename, message)


Overrides = Mapping[str, Any]
"""Overrides of scenario data: ``{key path: value}``, e.g. ``{"market.engineers": 20000}``.
A numeric part of a path indexes a list; a leading ``+`` adds an entry
(:func:`apply_overrides`)."""


class OverrideError(UserError):
    """An override that does not fit the data: its ``key`` (path) and the ``reason``."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def parse_override(text: str) -> tuple[str, Any]:
    """``(key, value)`` of ``KEY=VALUE`` as a person types it (``--set``, a sweep or
    calibration file's ``set``): the value is read as TOML (``20000``, ``0.5``, ``true``,
    ``[1, 2]``, ``"text"``), and taken as a bare string if it is not valid TOML. A leading
    ``+`` (``+firms.NewLab.gpus=5``) is kept on the key: it allows adding an entry."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    bare = key.removeprefix("+")
    if not sep or not bare or any(not part for part in bare.split(".")):
        raise UserError(f"{text!r}: expected KEY=VALUE, e.g. market.engineers=20000")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    except RecursionError:
        raise UserError(f"{text!r}: value nested too deeply") from None
    return key, value


def parse_overrides(texts: Iterable[str]) -> dict[str, Any]:
    """The overrides of ``KEY=VALUE`` texts (:func:`parse_override`), in order: a key given
    twice takes its last value, at its last place."""
    out: dict[str, Any] = {}
    for text in texts:
        key, value = parse_override(text)
        out.pop(key, None)
        out[key] = value
    return out


def apply_overrides(data: dict[str, Any], overrides: Overrides, *,
                    share: bool = False) -> dict[str, Any]:
    """Scenario data with ``overrides`` (``{key path: value}``) applied, in order; ``data``
    itself is not changed. The result is a deep copy, or with ``share=True`` a copy of the
    tables and lists on the overridden paths only, sharing the rest with ``data`` (for data
    that is read, not changed, such as what :func:`validate` reads: a sweep's run copies
    a thousand tables of its base scenario otherwise).

    A numeric part indexes a list: ``generated_firms.0.outreach``. An override changes
    what exists: a firm or tier the data does not have is an error (a typo), unless the key
    starts with ``+`` (``+firms.NewLab.kind``), which adds it. Errors are
    :class:`OverrideError` naming the key."""
    data = dict(data) if share else copy.deepcopy(data)
    for key, value in overrides.items():
        adding = key.startswith("+")
        bare = key.removeprefix("+")
        path = bare.split(".")
        if not bare or any(not part for part in path):
            raise OverrideError(key, "expected a key path such as market.engineers")
        if (len(path) > 1 and path[0] in ADDED_TABLES and not adding
                and path[1] not in (data.get(path[0]) or {})):
            names = list(data.get(path[0]) or {})
            known = ", ".join(names[:20]) or "none"
            raise OverrideError(
                key, f"{path[0]}.{path[1]}: no such {path[0][:-1]}"
                f"{did_you_mean(path[1], names)} (the {path[0]} are: {known}); to add one, "
                f"start the key with +: +{bare}")
        node: Any = data
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            index: int | str = part
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise OverrideError(
                        key, f"{'.'.join(path[:depth])} is a list of {len(node)}; expected an "
                        f"index 0..{len(node) - 1}, got {part!r}")
                index = int(part)
            elif not isinstance(node, dict):
                raise OverrideError(key, f"{'.'.join(path[:depth])} is a value, not a table")
            if last:
                node[index] = copy.deepcopy(value)
            else:
                if isinstance(node, dict):
                    node.setdefault(index, {})
                if share and isinstance(node[index], dict | list):
                    node[index] = copy.copy(node[index])  # a copy of its own, to change
                node = node[index]
    return data


def _format_location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


SCENARIO_KEYS = ("tiers", "market", "firms", "generated_firms")
"""Top-level keys that mark a scenario file (what a sweep or calibration file names as its
``base``)."""


def format_validation_error(source: str, err: ValidationError,
                            model: type[BaseModel] | None = None) -> str:
    """One line per problem: ``source: key.path: what was expected (got value)``; an
    unknown key is told the closest keys of ``model`` (the file's schema: the scenario's
    if None) at its place."""
    lines = []
    for problem in err.errors():
        # pydantic adds the union member or validator name to a location; keep key names only.
        tags = _TYPE_TAGS | _model_names()
        loc = tuple(
            p
            for p in problem["loc"]
            if not (isinstance(p, str) and ("[" in p or p in tags))
        )
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            word = str(problem["loc"][-1])  # (never suggested for itself)
            message = "unknown key (a typo?)" + did_you_mean(
                word, keys_at(problem["loc"][:-1], model or Scenario) - {word})
        elif problem["type"] == "missing":
            message = "required key is missing"
        got = problem.get("input")
        shown = "" if problem["type"] in ("missing", "extra_forbidden") or isinstance(
            got, dict
        ) else f" (got {got!r})"
        # A rule of the whole file (no location) names its keys in its message.
        where = f"{_format_location(loc)}: " if loc else ""
        lines.append(f"{source}: {where}{message}{shown}")
    return "\n".join(dict.fromkeys(lines))


_TYPE_TAGS = {"float", "int", "str", "bool", "list", "dict", "tuple", "function-after",
              "constrained-float", "constrained-int", "none", "literal", *EVENT_TYPES}


def keys_at(loc: tuple[Any, ...], model: type[BaseModel] = Scenario) -> set[str]:
    """The keys a table at location ``loc`` (a pydantic error location, tags included) may
    have: the fields of the table classes that can stand there (every key of every scenario
    table class if the location cannot be followed in the scenario; none in another
    schema)."""
    current: list[Any] = [model]
    for part in loc:
        found: list[Any] = []
        for kind in _flatten(current):
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                if isinstance(part, str) and part in kind.model_fields:
                    found.append(kind.model_fields[part].annotation)
                elif isinstance(part, str) and (part in _TYPE_TAGS or part in _model_names()):
                    # A union's tag: the location stays on this table, if the tag is its
                    # own (an event's ``type``, a table's class name) or names no table.
                    own = _event_tag(kind)
                    if part == kind.__name__ or own == part or (
                            part not in EVENT_TYPES and part not in _model_names()):
                        found.append(kind)
            elif get_origin(kind) in (list, tuple):
                if isinstance(part, int):
                    found.extend(get_args(kind)[:1])
            elif get_origin(kind) is dict:
                found.extend(get_args(kind)[1:2])
        if not found:
            current = []
            break
        current = found
    keys = {name for kind in _flatten(current)
            if isinstance(kind, type) and issubclass(kind, BaseModel)
            for name in kind.model_fields}
    if keys or model is not Scenario:  # another schema: no scenario key is a suggestion
        return keys
    return {name for cls in _model_classes() for name in cls.model_fields}


def _event_tag(kind: type[BaseModel]) -> str | None:
    """The ``type`` an event table class is tagged with (its ``Literal``), or None."""
    field = kind.model_fields.get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    tags = get_args(field.annotation)
    return str(tags[0]) if len(tags) == 1 else None


def _flatten(kinds: list[Any]) -> list[Any]:
    """The types in ``kinds`` with ``Annotated`` and unions taken apart."""
    out: list[Any] = []
    todo = list(kinds)
    while todo:
        kind = todo.pop()
        origin = get_origin(kind)
        if origin is Annotated:
            todo.append(get_args(kind)[0])
        elif origin in (Union, UnionType):
            todo.extend(get_args(kind))
        else:
            out.append(kind)
    return out


def _model_classes() -> list[type[BaseModel]]:
    """Every table class of the schema."""
    out: list[type[BaseModel]] = []
    todo: list[type[BaseModel]] = [Strict]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


def _model_names() -> set[str]:
    """Names of the schema's table classes, which pydantic adds to a location in a union
    (``NonNegative | Spread`` adds ``Spread``): not keys, so not shown."""
    names, todo = set(), [Strict]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            names.add(sub.__name__)
            todo.append(sub)
    return names


def validate(data: Mapping[str, Any], source: str,
             origins: EventOrigins | None = None) -> Scenario:
    """Validate scenario data, raising :class:`UserError` naming ``source`` and each key;
    with ``origins`` (:func:`read_toml_traced`), an event is named as its file counts it
    (:func:`name_events`)."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as err:
        message = format_validation_error(source, err)
        raise UserError(name_events(message, source.removesuffix(" (with overrides)"),
                                    origins or [])) from None
    except RecursionError:
        raise UserError(f"{source}: tables or arrays nested too deeply") from None


def name_from_stem(stem: str) -> str:
    """A valid name (:data:`sim.scenario.schema.NAME_PATTERN`) from a file's stem: other
    characters become ``_``, a leading ``_``, ``.`` or ``-`` is dropped, at most 64 kept."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", stem).lstrip("_.-")[:64]
    return name or "scenario"


def load_scenario(path: str | Path, overrides: Overrides | Iterable[str] = ()) -> Scenario:
    """Load, merge (``extends``), override and validate a scenario file.

    ``overrides``: ``{key path: value}``, or ``KEY=VALUE`` texts as a person types them
    (``["market.engineers=20000"]``, read by :func:`parse_overrides`).
    """
    path = Path(path)
    data, origins = read_toml_traced(path)
    data.setdefault("name", name_from_stem(path.stem))
    changes = (overrides if isinstance(overrides, Mapping)
               else parse_overrides(overrides))
    data = apply_overrides(data, changes)
    source = str(path) + (" (with overrides)" if changes else "")
    return validate(data, source, origins)


def json_schema() -> str:
    """The JSON Schema of the scenario format, for editors.

    A file with ``extends`` is checked against a partial form of the schema (no key is
    required, since its base supplies them); a file without, against the whole."""
    return json.dumps(schema_with_extends(Scenario.model_json_schema(), "talentwar scenario",
                                          "Path of a base scenario, relative to this file, "
                                          "merged under it."), indent=2)


def schema_with_extends(schema: dict[str, Any], title: str, extends: str) -> dict[str, Any]:
    """A JSON Schema (2020-12) that checks a file with ``extends`` against a partial copy of
    ``schema`` (every ``required`` dropped, references to partial copies) and one without
    against ``schema`` itself; both allow the ``extends`` key."""
    defs = schema.pop("$defs", {})
    whole = {**schema}
    partial_defs = {f"{name}__partial": _partial_schema(body) for name, body in defs.items()}
    for body in (whole,):
        body.setdefault("properties", {})["extends"] = {"type": "string",
                                                        "description": extends}
    partial = _partial_schema(whole)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "$defs": {**defs, **partial_defs, "File": whole, "File__partial": partial},
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/File__partial"},
        "else": {"$ref": "#/$defs/File"},
    }


def _partial_schema(node: Any) -> Any:
    """A copy of a schema node with no ``required`` keys and ``$ref``s to partial copies."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "required":
                continue
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                out[key] = value + "__partial"
            else:
                out[key] = _partial_schema(value)
        return out
    if isinstance(node, list):
        return [_partial_schema(v) for v in node]
    return node
