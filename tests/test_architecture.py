"""docs/architecture.md's layer figure is the layers contract that lint-imports checks."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT


def _figure_layers() -> list[str]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    figure = re.search(r"```\n(.*?)```", text, re.S)
    assert figure is not None, "docs/architecture.md has no layer figure"
    layers = []
    for line in figure.group(1).splitlines():
        found = re.match(r"^\s*(sim\.\w+(?:\s*\|\s*sim\.\w+)*)\s", line + " ")
        if found:
            layers.append(" | ".join(part.strip() for part in found.group(1).split("|")))
    return layers


def test_the_layer_figure_is_the_import_contract():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    expected = [" | ".join(part.strip() for part in layer.split("|"))
                for layer in contract["layers"]]
    assert _figure_layers() == expected


def test_every_package_of_sim_is_in_a_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["type"] == "layers")
    named = {part.strip() for layer in contract["layers"] for part in layer.split("|")}
    packages = {f"sim.{p.name}" for p in (ROOT / "sim").iterdir()
                if p.is_dir() and (p / "__init__.py").is_file()}
    modules = {f"sim.{p.stem}" for p in (ROOT / "sim").glob("*.py")
               if p.stem not in ("__init__", "__main__")}
    assert packages | modules == named
