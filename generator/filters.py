"""Jinja filters that adapt the model's XHTML to one output."""

from __future__ import annotations

from generator.model import Chapter


def print_footnotes(html: str, chapter: Chapter) -> str:
    """Put each footnote's text where it is called, for WeasyPrint's ``float: footnote``."""
    for note in chapter.footnotes:
        marker_start = html.find(f'href="#{note.id}"')
        if marker_start < 0:
            continue
        start = html.rfind("<a ", 0, marker_start)
        end = html.find("</a>", marker_start) + len("</a>")
        html = html[:start] + f'<span class="footnote" id="{note.id}">{note.html}</span>' + html[end:]
    return html


def epub_links(html: str) -> str:
    """Point glossary links at the glossary's own file in the EPUB."""
    return html.replace('href="#g-', 'href="glossary.xhtml#g-')
