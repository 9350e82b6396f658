"""The start-up caches: compiled templates render what parsing gives, and caching can be turned off.

Handing the cached hyphenation patterns to pyphen is tested in tests/test_engine.py."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from markupsafe import Markup

from generator.cache import cache_folder
from generator.engine import preload_hyphenation
from generator.templates import make_environment
from tests.helpers import hyphenation_points


def test_caching_can_be_turned_off(fresh_pyphen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """BRIEFING_CACHE=0: no cache folder, templates still render, hyphenation still works."""
    monkeypatch.setenv("BRIEFING_CACHE", "0")
    assert cache_folder("templates") is None
    assert make_environment().bytecode_cache is None
    preload_hyphenation("en")
    assert hyphenation_points("en")
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
