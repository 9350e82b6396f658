"""The command line as installed: --help on every sub-command, and a non-editable `pip install`."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import parser
from tests.conftest import FIXTURES, ROOT, run_generator


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Each sub-command's parser, by name, read from the CLI itself."""
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_subcommand_has_help_naming_its_options() -> None:
    """--help of each sub-command exits 0, describes it and names every one of its options."""
    commands = subcommands()
    assert {"pdf", "epub", "all", "check", "handout", "new"} <= set(commands)
    for name, sub in commands.items():
        result = run_generator(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert sub.description and sub.description.split()[0] in result.stdout, name
        for option in (s for a in sub._actions for s in a.option_strings):
            assert option in result.stdout, (name, option)


@pytest.mark.slow
def test_non_editable_install_gives_a_briefing_command_with_its_templates(tmp_path: Path) -> None:
    """pip install of a copy of the project gives `briefing` with every sub-command, building from the shipped templates and label catalogues."""
    project = tmp_path / "project"
    for name in ("generator", "templates"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, project / name)
    target = tmp_path / "installed"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
           "--target", str(target), str(project)]
    subprocess.run(pip, check=True, capture_output=True, text=True)
    env = {**os.environ, "PYTHONPATH": str(target)}
    command = [str(target / "bin" / "briefing")]
    help_text = subprocess.run([*command, "--help"], capture_output=True, text=True, env=env, cwd=tmp_path).stdout
    assert help_text.startswith("usage: briefing")
    assert all(name in help_text for name in subcommands())
    where = subprocess.run([sys.executable, "-c", "import generator.templates as t; print(t.PROJECT_TEMPLATES)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path).stdout.strip()
    assert Path(where) == target / "generator" / "_templates"
    shipped = sorted(p.name for p in (target / "generator" / "catalogues").glob("*.yaml"))
    assert shipped == sorted(p.name for p in (ROOT / "generator" / "catalogues").glob("*.yaml"))  # every language's labels
    built = subprocess.run([*command, "pdf", "themed", "--source", str(FIXTURES), "--out", str(tmp_path / "out")],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "out" / "themed.pdf").stat().st_size > 10_000
