"""Shared fixtures: the project paths, and the seed briefing built once per test session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = "amazon-anthropic-partnership"


def run_generator(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m generator`` in a fresh process, as a user would."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True, env=env)


def build_fixture(factory: pytest.TempPathFactory, slug: str, *commands: str, source: Path = FIXTURES,
                  options: tuple[str, ...] = (), no_warnings: bool = False) -> Path:
    """A new folder holding what each command (``pdf``, ``all``, ``handout`` ...) writes for the
    document, run as a user runs it; a command that fails, or warns when none may, fails the test."""
    out = factory.mktemp(slug)
    for command in commands:
        result = run_generator(command, slug, "--source", str(source), "--out", str(out), *options)
        assert result.returncode == 0, f"{command} {slug} exited {result.returncode}:\n{result.stderr}"
        assert not no_warnings or "warning" not in result.stderr, result.stderr
    return out


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's builds cache into a folder of its own, never the user's: nothing an earlier
    build left (the pages a PDF's last build found among it) decides which path a test takes."""
    folder = tmp_path_factory.mktemp("cache")
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = saved


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed briefing built (PDF, EPUB and web page) into a temporary folder by the real command."""
    return build_fixture(tmp_path_factory, SEED, "all", source=SOURCE)


@pytest.fixture(scope="session")
def seed_pdf(seed_build: Path) -> Path:
    """The seed briefing's PDF."""
    return seed_build / f"{SEED}.pdf"


@pytest.fixture(scope="session")
def seed_epub(seed_build: Path) -> Path:
    """The seed briefing's EPUB."""
    return seed_build / f"{SEED}.epub"


@pytest.fixture()
def fresh_pyphen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache folder and no parsed dictionary in pyphen; returns the cache root."""
    import pyphen

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("BRIEFING_CACHE", raising=False)
    monkeypatch.setattr(pyphen, "hdcache", {})
    return tmp_path
