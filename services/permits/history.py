"""PURE: a permit change in a landman's words: labelled before and after values, dates as
dates, locations as where they were published or how far they moved, and the RRC's own
bookkeeping fields (truncation flags, received dates) left out."""

from __future__ import annotations

import math
from datetime import date

LABELS = {
    "total_depth": "Total depth", "amended_date": "Amended", "issued_date": "Issued", "filed_date": "Filed",
    "spud_date": "Spud date", "expiration_date": "Expires", "well_status": "Well status", "well_status_date": "Well status date",
    "status": "Permit status", "operator_name": "Operator", "operator_number": "Operator P-5", "lease_name": "Lease",
    "well_number": "Well number", "county": "County", "district": "District", "filing_purpose": "Filing purpose",
    "wellbore_profile": "Wellbore", "field_name": "Field", "acres": "Acres", "cancelled": "Cancelled",
    "cancellation_reason": "Cancellation reason", "surface_legal": "Legal description", "api_number": "API number",
    "nearest_city": "Nearest town", "miles_from_city": "Miles from town", "direction_from_city": "Direction from town",
    "rule37_case": "Rule 37 case", "rule38_docket": "Rule 38 docket", "fields": "Fields",
}
# The file's bookkeeping, not facts about the well.
HIDDEN = {"received_date", "operator_name_truncated", "lease_name_truncated", "location_carried"}
POINTS = {"surface_location": "Surface location", "bottom_hole_locations": "Bottom hole"}


def _value(key: str, v) -> str:
    if v is None or v == "" or v == []:
        return "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if key == "total_depth" and isinstance(v, int | float):
        return f"{v:,.0f} ft"
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return date.fromisoformat(v).strftime("%b %-d, %Y")
        except ValueError:
            return v
    if isinstance(v, dict):
        return ", ".join(f"{k.replace('_', ' ')} {x}" for k, x in v.items() if x) or "none"
    if isinstance(v, list):
        return f"{len(v)} listed"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return " ".join(str(v).split())


def metres_between(a: dict, b: dict) -> float:
    """Great-circle distance on the mean Earth radius: plenty for 'moved 120 m'."""
    la1, lo1, la2, lo2 = map(math.radians, (a["lat"], a["lon"], b["lat"], b["lon"]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, h)))


def _bearing(a: dict, b: dict) -> str:
    la1, la2 = math.radians(a["lat"]), math.radians(b["lat"])
    dlo = math.radians(b["lon"] - a["lon"])
    deg = math.degrees(math.atan2(math.sin(dlo) * math.cos(la2), math.cos(la1) * math.sin(la2) - math.sin(la1) * math.cos(la2) * math.cos(dlo)))
    return ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")[round((deg % 360) / 45) % 8]


def _distance(m: float) -> str:
    feet = m / 0.3048
    return f"{feet:,.0f} ft" if feet < 5280 else f"{m / 1609.344:,.1f} mi"


def _point(p: dict) -> str:
    return f"{p['lat']:.5f}, {p['lon']:.5f}"


def _points(label: str, old, new) -> str:
    olds = [p for p in (old if isinstance(old, list) else [old]) if isinstance(p, dict)]
    news = [p for p in (new if isinstance(new, list) else [new]) if isinstance(p, dict)]
    if not olds and news:
        return f"{label} published: {'; '.join(_point(p) for p in news)}"
    if olds and not news:
        return f"{label} withdrawn (was {'; '.join(_point(p) for p in olds)})"
    if len(olds) == len(news):
        moves = [f"moved {_distance(metres_between(a, b))} {_bearing(a, b)}" for a, b in zip(olds, news, strict=True)]
        return f"{label} {', '.join(moves)}"
    return f"{label}: {len(olds)} → {len(news)} points"


def describe(details: dict | None) -> list[str]:
    """One line per changed field: 'Total depth: 10,250 ft → 10,750 ft'."""
    fields = (details or {}).get("fields") or {}
    lines = []
    for key, pair in fields.items():
        if key in HIDDEN or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if key in POINTS:
            lines.append(_points(POINTS[key], old, new))
            continue
        label = LABELS.get(key, key.replace("_", " ").capitalize())
        lines.append(f"{label}: {_value(key, old)} → {_value(key, new)}")
    return lines
