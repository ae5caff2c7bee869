"""PURE: a permit's legal description (section, block, survey, abstract) as one line a
landman reads and searches: "Section 10, Block 40 T2N, T&P RR CO / FORD, J B, A-730"."""

from __future__ import annotations

import re

# "A-730", "a730", "abstract 730", "abs. 730": the Texas abstract number as people type it.
_ABSTRACT = re.compile(r"^(?:a-?|abs(?:tract)?\.?\s*)(\d{1,6})$", re.IGNORECASE)


def legal_text(legal: dict | None) -> str | None:
    if not legal:
        return None
    if legal.get("text"):
        return legal["text"]
    parts = [f"Section {legal['section']}" if legal.get("section") else None,
             f"Block {legal['block']}" if legal.get("block") else None,
             legal.get("survey") or None,
             f"A-{legal['abstract']}" if legal.get("abstract") else None]
    return ", ".join(p for p in parts if p) or None


def search_pattern(text: str) -> str:
    """What to look for in legal_text: an abstract as 'A-730', anything else as typed."""
    m = _ABSTRACT.match(text.strip())
    return f"A-{m.group(1)}" if m else text.strip()
