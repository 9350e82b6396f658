"""The start-up caches: hyphenation patterns and compiled templates give what parsing gives."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pyphen
import pytest

from markupsafe import Markup

from generator.cache import cache_folder, preload_hyphenation
from generator.templates import make_environment

WORDS = ["partnership", "infrastructure", "competition", "regulatory", "investment", "hyphenation", "Anthropic"]


@pytest.fixture()
def fresh_pyphen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache folder and no parsed dictionary in pyphen; returns the cache root."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("BRIEFING_CACHE", raising=False)
    monkeypatch.setattr(pyphen, "hdcache", {})
    return tmp_path


def positions(language: str) -> list[list[int]]:
    """Where pyphen would hyphenate each of WORDS."""
    dictionary = pyphen.Pyphen(lang=language)
    return [list(dictionary.positions(word)) for word in WORDS]


def test_cached_patterns_hyphenate_like_the_dictionary(fresh_pyphen: Path) -> None:
    """Patterns read back from the cache hyphenate every word where the parsed dictionary does."""
    parsed = positions("en")
    assert any(parsed)
    pyphen.hdcache.clear()
    preload_hyphenation("en")  # parses and writes the cache
    (entry,) = (fresh_pyphen / "briefing-generator" / "hyphenation").iterdir()
    pyphen.hdcache.clear()
    preload_hyphenation("en")  # reads it back
    assert positions("en") == parsed
    assert entry.stat().st_size > 10_000


def test_damaged_cache_entry_is_parsed_afresh(fresh_pyphen: Path) -> None:
    """A truncated cache file is ignored and replaced; hyphenation is unchanged."""
    parsed = positions("en")
    pyphen.hdcache.clear()
    preload_hyphenation("en")
    (entry,) = (fresh_pyphen / "briefing-generator" / "hyphenation").iterdir()
    entry.write_bytes(entry.read_bytes()[:100])
    pyphen.hdcache.clear()
    preload_hyphenation("en")
    assert positions("en") == parsed
    assert entry.stat().st_size > 10_000


def test_caching_can_be_turned_off(fresh_pyphen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BRIEFING_CACHE=0: no cache folder, templates still render, hyphenation still works."""
    monkeypatch.setenv("BRIEFING_CACHE", "0")
    assert cache_folder("templates") is None
    assert make_environment().bytecode_cache is None
    preload_hyphenation("en")
    assert positions("en")
    assert not (fresh_pyphen / "briefing-generator").exists()


def test_compiled_templates_are_cached_and_render_the_same(fresh_pyphen: Path) -> None:
    """A second environment loads compiled templates from the cache and renders the same text."""
    first = make_environment().get_template("shared/key_points.html")
    folder = fresh_pyphen / "briefing-generator" / "templates"
    assert any(folder.iterdir())
    second = make_environment().get_template("shared/key_points.html")
    markup = SimpleNamespace(summary=[Markup("One <strong>point</strong>."), Markup("Another point.")])
    assert first.render(markup=markup) == second.render(markup=markup)
    assert "<strong>point</strong>" in first.render(markup=markup)
