"""The "Open in Colab" badge at the top of a notebook: recognise it and point it elsewhere.

A leaf module shared by the exercise generator (:mod:`.notebooks`, which points a solution's badge
at its exercise) and the Colab tool (:mod:`.colab`, which writes the badges).
"""

from __future__ import annotations

import re

COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_BADGE_RE = re.compile(
    r"^\[!\[Open In Colab\]\(" + re.escape(COLAB_BADGE_IMAGE) + r"\)\]"
    r"\((?P<url>https://colab\.research\.google\.com/github/[^)\s]+)\)[ \t]*\n?(?:[ \t]*\n)?"
)
_BADGE_PATH_RE = re.compile(r"(https://colab\.research\.google\.com/github/[^/\s]+/[^/\s]+/blob/[^/\s]+/)([^)\s]+)")


def first_cell(nb, cell_type: str):
    """The notebook's first cell of ``cell_type`` (``"markdown"`` or ``"code"``), or None."""
    return next((cell for cell in nb.cells if cell.cell_type == cell_type), None)


def retarget_badge(nb, relative_path: str) -> None:
    """Point an existing Colab badge at ``relative_path``, keeping its repository and branch.

    The exercise generator calls it: an exercise is a copy of its solution, badge included.
    """
    markdown = first_cell(nb, "markdown")
    match = _BADGE_RE.match(markdown.source) if markdown is not None else None
    if match is None:
        return
    badge = _BADGE_PATH_RE.sub(lambda m: m.group(1) + relative_path, markdown.source[: match.end()], count=1)
    markdown.source = badge + markdown.source[match.end() :]
