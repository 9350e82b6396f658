"""A new document folder from the starter files in ``templates/new/``, ready to build."""

from __future__ import annotations

import datetime as dt
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
    hint = slugify(slug)[:MAX_SLUG_LENGTH].strip("-")
    suggestion = f", e.g. '{hint}'" if hint and hint != "section" else ""
    raise UsageError(f"invalid document name '{slug}': use lower-case letters, digits and single hyphens, "
                     f"at most {MAX_SLUG_LENGTH} characters{suggestion}")


def title_from_slug(slug: str) -> str:
    """A first title for the document: 'water-policy-2027' becomes 'Water policy 2027'."""
    return slug.replace("-", " ").capitalize()


def today() -> dt.date:
    """The build date: SOURCE_DATE_EPOCH when set, so that runs are reproducible, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    return dt.date.today()


def starter_files(slug: str) -> dict[str, str]:
    """The text of each starter file, rendered for this slug."""
    env = make_environment()
    values = {"slug": slug, "title": title_from_slug(slug), "date": today().isoformat()}
    return {name: env.get_template(f"new/{name}").render(**values) for name in STARTER_FILES}


def new_document(source_dir: Path, slug: str) -> Path:
    """Create ``source_dir/slug/`` with the starter files; never overwrite an existing folder.

    The files are written into a hidden temporary folder first and renamed into place, so an
    interrupted run leaves no half-made document behind.
    """
    root = source_dir / validate_slug(slug)
    if root.exists():
        raise UsageError(f"{root} already exists; choose another name or remove it first (nothing was written)")
    files = starter_files(slug)
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
