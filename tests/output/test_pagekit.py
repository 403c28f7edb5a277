"""The page kit of the HTML reports: contents built from the sections, escaping, and the
templates shipped with the package."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

from markupsafe import Markup

from sim.output.pagekit import Section, facts, fmt, page

ROOT = Path(__file__).resolve().parents[2]


def test_contents_list_the_sections_not_headings_inside_them():
    text = page("T", "", [
        Section("A & B", [Markup("<h2>not a section</h2>"), "<h2>text, escaped</h2>"]),
        Section("C", [facts({"x": 1})]),
    ])
    toc = re.search(r'<nav class="toc"><h2>Contents</h2><ol>(.*?)</ol></nav>', text, re.S)
    assert toc
    assert re.findall(r'<li><a href="#(section-\d)">(.*?)</a></li>', toc.group(1)) == [
        ("section-1", "A &amp; B"), ("section-2", "C")]
    assert '<h2 id="section-1">A &amp; B</h2>' in text
    assert '<h2 id="section-2">C</h2>' in text
    assert "&lt;h2&gt;text, escaped&lt;/h2&gt;" in text
    # One section: no contents list.
    assert '<nav class="toc">' not in page("T", "", [Section("A")])
    assert "<script" not in text


def test_fmt_escapes_its_values_as_html_escape_does():
    assert fmt("<b>{}</b>", "\"<&>'") == "<b>&quot;&lt;&amp;&gt;&#x27;</b>"
    assert fmt("<b>{}</b>", Markup("<i>x</i>")) == "<b><i>x</i></b>"


def test_every_template_is_package_data():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    globs = data["tool"]["setuptools"]["package-data"]["sim.output"]
    folder = ROOT / "sim" / "output" / "templates"
    files = [p.relative_to(folder.parent).as_posix() for p in folder.iterdir()]
    assert files
    for name in files:
        assert any(fnmatch(name, g) for g in globs), name
