"""A new document folder from the starter files in ``templates/new/``, ready to build."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from generator.errors import UsageError
from generator.markdown import slugify
from generator.templates import make_environment

STARTER_FILES = ("document.yaml", "01-introduction.md", "glossary.yaml")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 64


def validate_slug(slug: str) -> str:
    """The slug itself when it is a usable folder name; a usage error suggesting one otherwise."""
    if SLUG.match(slug) and len(slug) <= MAX_SLUG_LENGTH:
        return slug
    hint = slug_from_title(slug)
    suggestion = f", e.g. '{hint}'" if hint else ""
    raise UsageError(f"invalid document name '{slug}': use lower-case letters, digits and single hyphens, "
                     f"at most {MAX_SLUG_LENGTH} characters{suggestion}")


def slug_from_title(title: str) -> str:
    """The folder name a title gives: 'Heat pumps in rented housing' → 'heat-pumps-in-rented-housing' ('' if none)."""
    slug = slugify(title)[:MAX_SLUG_LENGTH].strip("-")
    return "" if slug == "section" and "section" not in title.lower() else slug  # slugify's stand-in for nothing


def name_and_title(name: str, slug: str | None) -> tuple[str, str]:
    """The folder name and the title of a new document from what the user gave.

    A name that is already a folder name ('water-policy-2027') is the slug, its title made from
    it; anything else is the title, its slug derived from it unless one is given.
    """
    if slug is not None:
        return validate_slug(slug), one_line(name) or title_from_slug(slug)
    if SLUG.match(name) and len(name) <= MAX_SLUG_LENGTH:
        return name, title_from_slug(name)
    derived = slug_from_title(name)
    if not derived:
        raise UsageError(f"cannot make a folder name from the title '{name}': give one with --slug "
                         f"(make new NAME=... SLUG=...), lower-case letters, digits and single hyphens")
    return derived, one_line(name)


def one_line(text: str) -> str:
    """A title on one line, its runs of spaces (and any line break) made single spaces."""
    return " ".join(text.split())


def title_from_slug(slug: str) -> str:
    """A first title for the document: 'water-policy-2027' becomes 'Water policy 2027'."""
    return slug.replace("-", " ").capitalize()


def today() -> dt.date:
    """The build date: SOURCE_DATE_EPOCH when set, so that runs are reproducible, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def starter_files(slug: str, title: str) -> dict[str, str]:
    """The text of each starter file, rendered for this slug and title."""
    env = make_environment()
    # JSON's string syntax is YAML's double-quoted one: any title (quotes, colons, '#') reads back as written.
    values = {"slug": slug, "title": title, "title_yaml": json.dumps(title, ensure_ascii=False), "date": today().isoformat()}
    return {name: env.get_template(f"new/{name}").render(**values) for name in STARTER_FILES}


def new_document(source_dir: Path, slug: str, title: str) -> Path:
    """Create ``source_dir/slug/`` with the starter files; never overwrite an existing folder.

    The files are written into a hidden temporary folder first and renamed into place, so an
    interrupted run leaves no half-made document behind.
    """
    root = source_dir / validate_slug(slug)
    if root.exists():
        raise UsageError(f"{root} already exists; choose another name or remove it first (nothing was written)")
    files = starter_files(slug, title)
    source_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{slug}.", dir=source_dir))
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
        staging.chmod(0o755)
        staging.rename(root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root
