"""The licence of a briefing: an SPDX id (``licence: CC-BY-4.0``), its name and its deed's address.

The table holds the licences briefings are commonly published under; an id outside it is
refused with the closest one, as a typo in a licence is a legal mistake, not a style one.
"""

from __future__ import annotations

import difflib
from typing import NamedTuple


class Licence(NamedTuple):
    """An SPDX licence: its id, full name and the address of its text."""

    id: str
    name: str
    url: str


LICENCES: dict[str, Licence] = {item.id: item for item in (
    Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    Licence("CC-BY-SA-4.0", "Creative Commons Attribution Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-sa/4.0/"),
    Licence("CC-BY-NC-4.0", "Creative Commons Attribution Non Commercial 4.0 International",
            "https://creativecommons.org/licenses/by-nc/4.0/"),
    Licence("CC-BY-ND-4.0", "Creative Commons Attribution No Derivatives 4.0 International",
            "https://creativecommons.org/licenses/by-nd/4.0/"),
    Licence("CC-BY-NC-SA-4.0", "Creative Commons Attribution Non Commercial Share Alike 4.0 International",
            "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    Licence("CC-BY-NC-ND-4.0", "Creative Commons Attribution Non Commercial No Derivatives 4.0 International",
            "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    Licence("CC0-1.0", "Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("CC-BY-3.0", "Creative Commons Attribution 3.0 Unported", "https://creativecommons.org/licenses/by/3.0/"),
    Licence("OGL-UK-3.0", "Open Government Licence v3.0",
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    Licence("GFDL-1.3-or-later", "GNU Free Documentation License v1.3 or later", "https://www.gnu.org/licenses/fdl-1.3.html"),
)}


def licence_problem(spdx_id: str) -> str:
    """Why an id is no licence of the table ('' when it is one), with the closest id."""
    if spdx_id in LICENCES:
        return ""
    by_case = {key.lower(): key for key in LICENCES}
    close = [by_case[spdx_id.lower()]] if spdx_id.lower() in by_case else \
        difflib.get_close_matches(spdx_id, list(LICENCES), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else f"; known: {', '.join(LICENCES)}"
    return f"'{spdx_id}' is not a known SPDX licence id{hint}"


def rights_statement(spdx_id: str) -> str:
    """The licence line of the colophon and of dc:rights: 'Licensed under <name> (<id>), <url>'."""
    licence = LICENCES[spdx_id]
    return f"Licensed under {licence.name} ({licence.id}): {licence.url}"
