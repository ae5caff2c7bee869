"""PURE saved-search filters: their vocabulary, validation, and the one SQL predicate that
applies them (to permits_current rows or evaluated changes alike)."""

from __future__ import annotations

from datetime import date

from services.reference.counties import COUNTIES, DISTRICTS
from services.reference.rrc_codes import APPLICATION_STATUS, FILING_PURPOSES, WELLBORE_PROFILES

# filter key -> (column, kind, allowed values or None)
FILTERS: dict[str, tuple[str, str, frozenset | None]] = {
    "counties": ("county_code", "in", frozenset(COUNTIES)),
    "districts": ("district", "in", frozenset(DISTRICTS)),
    "filing_purposes": ("filing_purpose_code", "in", frozenset(FILING_PURPOSES)),
    "profiles": ("wellbore_profile", "in", frozenset(WELLBORE_PROFILES)),
    "statuses": ("status", "in", frozenset(APPLICATION_STATUS.values())),
    "operator_ids": ("operator_id::text", "in", None),
    "depth_min": ("total_depth", ">=int", None),
    "depth_max": ("total_depth", "<=int", None),
    "issued_from": ("issued_date", ">=date", None),
    "issued_to": ("issued_date", "<=date", None),
}


class FilterError(ValueError):
    pass


def validate_filters(filters: dict) -> dict:
    """Normalized filters, or FilterError naming the first thing to fix."""
    if not isinstance(filters, dict) or not filters:
        raise FilterError("a saved search needs at least one filter")
    out = {}
    for key, value in filters.items():
        if key not in FILTERS:
            raise FilterError(f"unknown filter {key!r}; known filters: {', '.join(FILTERS)}")
        _, kind, allowed = FILTERS[key]
        if kind == "in":
            values = [str(v) for v in (value if isinstance(value, list) else [value])]
            if not values:
                raise FilterError(f"filter {key!r} is empty")
            if key == "counties":
                values = [v.zfill(3) if v.isdigit() else _county_code(v) for v in values]
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise FilterError(f"unknown value(s) {bad} for {key!r}")
            out[key] = sorted(set(values))
        elif kind.endswith("int"):
            if not isinstance(value, int) or value < 0:
                raise FilterError(f"{key!r} must be a whole number of feet, got {value!r}")
            out[key] = value
        else:
            try:
                out[key] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise FilterError(f"{key!r} must be a date YYYY-MM-DD, got {value!r}") from None
    if out.get("depth_min", 0) > out.get("depth_max", 10**9):
        raise FilterError("depth_min is greater than depth_max")
    if out.get("issued_from", "") > out.get("issued_to", "9999"):
        raise FilterError("issued_from is after issued_to")
    return out


def _county_code(name: str) -> str:
    from services.reference.counties import county_by_name

    county = county_by_name(name)
    if county is None:
        raise FilterError(f"unknown county {name!r}")
    return county.code


def sql_predicate(filters_expr: str, row: str) -> str:
    """SQL that is true when row `row` passes the filters held in jsonb `filters_expr`
    (a filter that is absent does not filter)."""
    parts = []
    for key, (column, kind, _) in FILTERS.items():
        f = f"{filters_expr}->'{key}'"
        if kind == "in":
            test = f"{row}.{column} = ANY (ARRAY(SELECT jsonb_array_elements_text({f})))"
        else:
            op, cast = kind[:2], kind[2:]
            test = f"{row}.{column} {op} ({filters_expr}->>'{key}')::{cast}"
        parts.append(f"({f} IS NULL OR {test})")
    return "(" + "\n  AND ".join(parts) + ")"
