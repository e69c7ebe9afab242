"""Guideline sources: files, ids in DEFCORE_GUIDELINES, and URLs fetched once into a cache."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from defcore.errors import GuidelineNotFound
from defcore.guidelines.sources import list_guidelines, load, locate


@pytest.fixture
def file_server(interop_dir: Path) -> Iterator[tuple[str, http.server.ThreadingHTTPServer]]:
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(interop_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server
    finally:
        server.shutdown()
        server.server_close()


def test_url_is_fetched_once_then_served_from_cache(
    file_server: tuple[str, http.server.ThreadingHTTPServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, server = file_server
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path / "cache"))
    url = base + "add-ons/dns.2020.06.json"
    first = locate(url)
    assert first.is_relative_to(tmp_path / "cache")
    assert load(url).id == "dns.2020.06"
    server.shutdown()  # offline from here on: the cache must serve
    assert locate(url) == first
    assert not list((tmp_path / "cache").rglob("*.part"))


def test_unreachable_url_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path))
    with pytest.raises(
        GuidelineNotFound, match=r"http://127\.0\.0\.1:9/x\.json could not be fetched"
    ):
        locate("http://127.0.0.1:9/x.json")


def test_plain_file_path(interop_dir: Path) -> None:
    path = interop_dir / "2016.08.json"
    assert locate(str(path)) == path


def test_directory_listing_puts_platform_guidelines_first(interop_dir: Path) -> None:
    names = [p.name for p in list_guidelines(interop_dir)]
    assert names[0] == "2015.03.json"
    assert "dns.2020.06.json" in names and "havanacore.json" in names
    assert "2.0.json" not in names  # the schemas are not guidelines
