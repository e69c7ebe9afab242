from __future__ import annotations

import pytest

from defcore.guidelines.render import FORMATS, render
from defcore.guidelines.sources import load


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("ref", ["2015.03", "2016.01", "2020.06", "dns.2020.06", "havanacore"])
def test_every_generation_renders(ref: str, fmt: str) -> None:
    g = load(ref)
    text = render(g, fmt)
    # Every capability and every test appears in the document.
    for cap in g.capabilities.values():
        assert cap.name in text
        for test in cap.tests:
            assert test.name in text


def test_html_has_chart_and_escapes() -> None:
    html = render(load("2020.06"), "html")
    assert "<svg" in html and "os_powered_storage" in html
    assert "objectstore-temp-url-get" in html
    assert "<script" not in html


def test_markdown_shows_flags_and_sections() -> None:
    md = render(load("2020.06"), "md")
    assert "## Designated sections" in md
    assert "### compute-servers-resize (required)" in md
    assert "[D4" in md  # flag reasons with their codes


def test_rst_headings_are_underlined_to_length() -> None:
    rst = render(load("2020.06"), "rst")
    lines = rst.splitlines()
    for i, line in enumerate(lines[1:], start=1):
        if line and set(line) == {"="}:
            assert len(line) == len(lines[i - 1])
