"""PURE saved-search filters: their vocabulary, validation, and the one SQL predicate that
applies them (to permits_current rows or evaluated changes alike)."""

from __future__ import annotations

import uuid
from datetime import date

from services.errors import InvalidInput
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
    # a workspace's operator groups; with operator_ids, one set of operators: either matches
    "operator_groups": ("operator_id", "group", None),
    "depth_min": ("total_depth", ">=int", None),
    "depth_max": ("total_depth", "<=int", None),
    "issued_from": ("issued_date", ">=date", None),
    "issued_to": ("issued_date", "<=date", None),
}


MAX_VALUES = 300  # more than the 254 counties: any real list fits
MAX_DEPTH_FT = 60_000  # deeper than any well drilled; keeps the value inside an integer column


class FilterError(InvalidInput):
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
        if kind in ("in", "group"):
            raw = value if isinstance(value, list) else [value]
            if not raw:
                raise FilterError(f"filter {key!r} is empty")
            if len(raw) > MAX_VALUES or any(not isinstance(v, str | int) or isinstance(v, bool) or len(str(v)) > 64 for v in raw):
                raise FilterError(f"filter {key!r} takes up to {MAX_VALUES} names or codes")
            values = [str(v) for v in raw]
            if key == "counties":
                values = [v.zfill(3) if v.isdigit() else _county_code(v) for v in values]
            elif kind == "group":
                values = [_uuid(key, v) for v in values]
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise FilterError(f"unknown value(s) {bad} for {key!r}")
            out[key] = sorted(set(values))
        elif kind.endswith("int"):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DEPTH_FT:
                raise FilterError(f"{key!r} must be a whole number of feet from 0 to {MAX_DEPTH_FT:,}, got {value!r}")
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


def _uuid(key: str, value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise FilterError(f"{key!r} takes group ids, got {value!r}") from None


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
        if key == "operator_ids":
            continue  # with operator_groups below
        if kind == "group":
            ids = f"{filters_expr}->'operator_ids'"
            parts.append(f"(({ids} IS NULL AND {f} IS NULL) OR {row}.operator_id::text = ANY (ARRAY(SELECT jsonb_array_elements_text({ids}))) "
                         f"OR {row}.operator_id IN (SELECT m.operator_id FROM operator_group_members m "
                         f"WHERE m.group_id::text = ANY (ARRAY(SELECT jsonb_array_elements_text({f})))))")
            continue
        if kind == "in":
            test = f"{row}.{column} = ANY (ARRAY(SELECT jsonb_array_elements_text({f})))"
        else:
            op, cast = kind[:2], kind[2:]
            test = f"{row}.{column} {op} ({filters_expr}->>'{key}')::{cast}"
        parts.append(f"({f} IS NULL OR {test})")
    return "(" + "\n  AND ".join(parts) + ")"


def watchlist_predicate(rule: str, row: str) -> str:
    """SQL that is true when rule `rule` has no watchlist, or row `row`'s operator is on it,
    by name or through one of the groups it holds."""
    return (f"({rule}.watchlist_id IS NULL OR EXISTS (SELECT 1 FROM operator_watchlist_items i "
            f"WHERE i.watchlist_id = {rule}.watchlist_id AND i.operator_id = {row}.operator_id) "
            f"OR EXISTS (SELECT 1 FROM operator_watchlist_groups wg JOIN operator_group_members m ON m.group_id = wg.group_id "
            f"WHERE wg.watchlist_id = {rule}.watchlist_id AND m.operator_id = {row}.operator_id))")


def new_ground_predicate(row: str, day: str, where: str) -> str:
    """SQL that is true when row `row` is its operator's first permit in a place (`where`,
    over the operator's other permits `o`) for twelve months: none issued (or filed) there
    in the 365 days before `day`, so several on one day all count; a filing and its
    approval (one status number) are one permit."""
    return (f"NOT EXISTS (SELECT 1 FROM permits_current o WHERE o.operator_id = {row}.operator_id AND o.permit_id <> {row}.permit_id "
            f"AND o.status_number <> {row}.status_number AND coalesce(o.issued_date, o.filed_date) >= {day} - 365 "
            f"AND coalesce(o.issued_date, o.filed_date) < {day} AND {where})")


def describe(filters: dict, operator_names: dict[str, str] | None = None) -> str:
    """The filters in a landman's words: county and purpose names instead of codes.
    `operator_names` names operators and groups by id."""
    names = operator_names or {}
    parts = []
    for key, value in filters.items():
        if key == "counties":
            parts.append("in " + _join([COUNTIES[c].name + " County" if c in COUNTIES else c for c in value]))
        elif key == "districts":
            parts.append("RRC district " + _join(value))
        elif key == "filing_purposes":
            parts.append(_join([FILING_PURPOSES.get(c, c) for c in value]).lower())
        elif key == "profiles":
            parts.append(_join(value) + " wells")
        elif key == "statuses":
            parts.append(_join(value))
        elif key == "operator_ids":
            parts.append("by " + _join([names.get(o, "an operator no longer on file") for o in value]))
        elif key == "operator_groups":
            parts.append("by " + _join([f"the group {names[g]}" if g in names else "a deleted group" for g in value]))
        elif key == "depth_min":
            parts.append(f"at least {value:,} ft deep")
        elif key == "depth_max":
            parts.append(f"at most {value:,} ft deep")
        elif key == "issued_from":
            parts.append(f"issued from {value}")
        elif key == "issued_to":
            parts.append(f"issued until {value}")
    return "; ".join(parts) or "every permit"


def _join(items: list[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
