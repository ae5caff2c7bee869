"""PURE operator-name normalization: every spelling of one company maps to one key.

RRC names come truncated at 32 characters and abbreviated (`PIONEER NATURAL RES. USA,
INC.`, `BURLINGTON RESOURCES O & G CO LP`); other sources spell the same company in full
and mixed case (`XTO Energy, Inc`). The key folds case, punctuation, spacing, `&`/`AND`,
common abbreviations and legal suffixes, so those variants meet. It never guesses
beyond that: two names with different keys are different operators until someone merges
them by hand.
"""

from __future__ import annotations

import re

RRC_NAME_WIDTH = 32

# Legal-form words dropped from the end of a name (repeatedly: "CO LP", "INC LTD").
_SUFFIXES = frozenset({
    "INC", "INCORPORATED", "LLC", "LC", "LP", "LLP", "LTD", "LIMITED", "CORP",
    "CORPORATION", "CO", "COMPANY", "PLLC", "PC", "NA", "TRUST",
})
# Abbreviations RRC and vendors use, expanded so both spellings share a key.
_WORDS = {
    "RES": "RESOURCES", "RESOURCE": "RESOURCES", "NAT": "NATURAL", "NATL": "NATURAL",
    "MGMT": "MANAGEMENT", "MGT": "MANAGEMENT", "EXPL": "EXPLORATION", "EXPLOR": "EXPLORATION",
    "PROD": "PRODUCTION", "PRODN": "PRODUCTION", "PET": "PETROLEUM", "PETRO": "PETROLEUM",
    "OPER": "OPERATING", "OPERATING": "OPERATING", "OPRTG": "OPERATING", "INTL": "INTERNATIONAL",
    "SVCS": "SERVICES", "SVC": "SERVICES", "SERVICE": "SERVICES", "ENGY": "ENERGY",
    "DEV": "DEVELOPMENT", "DEVELOP": "DEVELOPMENT", "PTNRS": "PARTNERS", "PRTNRS": "PARTNERS",
    "PARTNER": "PARTNERS", "ASSOC": "ASSOCIATES", "BROS": "BROTHERS", "MIDSTRM": "MIDSTREAM",
    "HLDGS": "HOLDINGS", "AMER": "AMERICA", "AMERICAN": "AMERICAN", "MTN": "MOUNTAIN",
    "O&G": "OIL AND GAS", "OG": "OIL AND GAS",
}
_PUNCT = re.compile(r"[.,;:'\"()\[\]/\\!?*#]")
_AMP = re.compile(r"\s*&\s*")
_SPACE = re.compile(r"\s+")
_SINGLE_LETTERS = re.compile(r"\b(?:[A-Z] ){1,}[A-Z]\b")


def name_key(name: str) -> str:
    """The normalized key under which aliases are unique. Empty for an empty name."""
    return " ".join(_strip_suffixes(_words(name)))


def _words(name: str) -> list[str]:
    s = name.upper().replace("-", " ")
    s = _PUNCT.sub(" ", s)
    s = _AMP.sub(" & ", s)
    s = _SPACE.sub(" ", s).strip()
    # "U S A" -> "USA", "L L C" -> "LLC": letters spelled out with dots or spaces.
    s = _SINGLE_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), s)
    s = s.replace("O & G", "O&G")
    words: list[str] = []
    for word in s.split(" "):
        words.extend(_WORDS.get(word, "AND" if word == "&" else word).split(" "))
    return [w for w in words if w]


def _strip_suffixes(words: list[str]) -> list[str]:
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words = words[:-1]
    return words


def truncated_key(name: str) -> str:
    """Key of a name that may have been cut at RRC's width: the last word may be a
    fragment ("...USA IN"), so it is dropped unless the name is clearly whole."""
    words = _words(name)
    if len(words) > 1 and not name.rstrip().endswith((",", ".")):
        words = words[:-1]
    return " ".join(_strip_suffixes(words))


def may_be_truncated(name: str) -> bool:
    return len(name.rstrip()) >= RRC_NAME_WIDTH - 1


def display_name(name: str) -> str:
    """A tidy display form: single spaces, no trailing separator left by truncation."""
    return _SPACE.sub(" ", name).strip().rstrip(",&- ")
