"""RRC drilling-permit code tables (OGA049M layout), decoded to readable values.

Pure data: the daf420 parser and the demo generator share these tables so that what the
generator writes is exactly what the parser reads.
"""

from __future__ import annotations

# The file's 2-digit internal district code -> the RRC district name.
DISTRICT_BY_FILE_CODE = {
    "01": "01", "02": "02", "03": "03", "04": "04", "05": "05", "06": "06",
    "07": "6E", "08": "7B", "09": "7C", "10": "08", "11": "8A", "12": "8B",
    "13": "09", "14": "10", "20": "State Wide",
}
FILE_CODE_BY_DISTRICT = {v: k for k, v in DISTRICT_BY_FILE_CODE.items()}

# Record 02 pos 66, "type of application".
FILING_PURPOSES = {
    "01": "New Drill",
    "02": "Deepen Below Casing",
    "03": "Deepen Within Casing",
    "04": "Plug Back",
    "05": "Other",
    "06": "Amended Drill",
    "07": "Re-Enter",
    "08": "Sidetrack",
    "09": "Field Transfer",
    "10": "Amended (pre-1977)",
    "11": "Drill Directional Sidetrack",
    "12": "Drill Horizontal",
    "13": "Sidetrack Horizontal",
    "14": "Recompletion",
    "15": "Reclass",
}

# Record 01 pos 101.
APPLICATION_STATUS = {
    "P": "pending", "A": "approved", "W": "withdrawn", "D": "dismissed", "E": "denied",
    "C": "closed", "O": "other", "X": "deleted", "Z": "cancelled",
}

# Record 02 pos 170 (well status); the copybook lists more, these are the ones that matter.
WELL_STATUS = {
    "A": "long string casing set",
    "C": "completed",
    "D": "dry hole",
    "P": "plugged",
    "W": "final completion",
    "Z": "unperfed completion",
}

# Record 02 pos 480.
CANCELLED_FLAG = {"P": "permit cancelled", "F": "filing cancelled"}

# Record 03 pos 11, proposed well type.
WELL_TYPES = {
    "O": "oil", "G": "gas", "B": "oil or gas", "I": "injection", "S": "service",
    "V": "water supply", "C": "cathodic", "T": "exploratory",
}

# Wellbore profiles, derived from the 02 flags (horizontal 494, directional 482, sidetrack 483).
PROFILE_HORIZONTAL = "horizontal"
PROFILE_DIRECTIONAL = "directional"
PROFILE_SIDETRACK = "sidetrack"
PROFILE_VERTICAL = "vertical"
WELLBORE_PROFILES = (PROFILE_HORIZONTAL, PROFILE_DIRECTIONAL, PROFILE_SIDETRACK, PROFILE_VERTICAL)


def wellbore_profile(horizontal: bool, directional: bool, sidetrack: bool) -> str:
    if horizontal:
        return PROFILE_HORIZONTAL
    if sidetrack:
        return PROFILE_SIDETRACK
    if directional:
        return PROFILE_DIRECTIONAL
    return PROFILE_VERTICAL


# Record ids the parser understands; everything else is schema drift.
KNOWN_RECORD_IDS = frozenset(f"{i:02d}" for i in range(1, 16))
