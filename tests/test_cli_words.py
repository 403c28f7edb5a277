"""Command-line words live in the command line: library code names no ``--option`` and
writes nothing on standard error; its errors carry the argument as data
(:class:`sim.errors.UserError`) and the command line phrases them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sim import cli
from sim.errors import Resume, UserError

SIM = Path(__file__).resolve().parent.parent / "sim"
COMMAND_LINE = {*(SIM / "cli").glob("*.py"), SIM / "__main__.py"}
OPTION = re.compile(r"(?<![\w-])--[a-z]")

SHOWN_TO_THE_READER = {
    ("sweeps/report.py", "Finish it with: talentwar sweep --resume "),
    ("calibration/report.py", "continue it with talentwar calibrate --resume"),
    ("scenario/reference.py", "`talentwar run FILE --set KEY=VALUE` changes one value"),
    ("sweeps/spec.py", "as for --set"),
    ("calibration/spec.py", "as for --set"),
}
"""Pages that tell their reader the command to type, not errors: the report pages, the
scenario reference and the descriptions of the sweep and calibration file schemas."""


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstrings: the strings that stand alone as a statement (of a
    module, class, function or attribute)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}


def cli_words(path: Path, root: Path = SIM) -> list[str]:
    """``file:line: what`` for each ``--option`` in a string (docstrings aside) and each
    use of ``sys.stderr`` in ``path`` (a module of the package at ``root``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree)
    name = path.relative_to(root).as_posix()
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                and id(node) not in skip and OPTION.search(node.value)
                and not any(name == f and text in node.value
                            for f, text in SHOWN_TO_THE_READER)):
            found.append(f"{name}:{node.lineno}: option text {node.value!r}")
        if (isinstance(node, ast.Attribute) and node.attr in ("stderr", "__stderr__")
                and isinstance(node.value, ast.Name) and node.value.id == "sys"):
            found.append(f"{name}:{node.lineno}: writes on standard error")
    return found


def test_library_code_names_no_option_and_writes_nothing_on_stderr():
    modules = sorted(p for p in SIM.rglob("*.py") if p not in COMMAND_LINE)
    assert len(modules) > 50  # the scan sees the whole package
    assert [w for p in modules for w in cli_words(p)] == []


def test_the_scan_finds_option_text_and_stderr_writes(tmp_path):
    source = (SIM / "output" / "run.py").read_text(encoding="utf-8")
    target = tmp_path / "output" / "run.py"
    target.parent.mkdir()
    target.write_text(source + '\n\ndef f():\n    """--doc is fine"""\n'
                      '    print(f"--out {1}: no", file=sys.stderr)\n', encoding="utf-8")
    assert [w.split(": ", 1)[1] for w in cli_words(target, tmp_path)] == [
        "option text '--out '", "writes on standard error"]


@pytest.mark.parametrize(("error", "program", "command_line"), [
    (UserError("exists already; choose a new one", option="out", value=Path("r/x")),
     "out=r/x: exists already; choose a new one", "--out r/x: exists already; choose a new one"),
    (UserError("expected a whole number >= 1, got 0", option="workers"),
     "workers: expected a whole number >= 1, got 0",
     "--workers: expected a whole number >= 1, got 0"),
    (UserError("no such folder", option="save_dir", value="d"), "save_dir=d: no such folder",
     "--save-dir d: no such folder"),
    (UserError("x; or {option:port} 0 for a free one"), "x; or port 0 for a free one",
     "x; or --port 0 for a free one"),
    (UserError("full; continue with {resume}", resume=Resume("sweep", "r/s")),
     "full; continue with resume_sweep('r/s')",
     "full; continue with talentwar sweep --resume r/s"),
])
def test_errors_carry_the_argument_and_each_reader_gets_its_words(error, program,
                                                                  command_line):
    assert str(error) == program
    assert cli.say(error) == command_line
