"""PURE rendering of alert messages for each channel, from an event's payload.

SMS fits one GSM-7 segment (160 characters) where it can: the permit's essentials and a
short link; email has plain text and HTML with links to the permit page and the map;
in-app has a title and a body. Links are built from the configured public base URL.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

SMS_SEGMENT = 160
RRC_TZ = ZoneInfo("America/Chicago")
CHANGE_WORDS = {
    "new": "New permit", "amended": "Amended permit", "status_changed": "Status change",
    "location_changed": "Location change", "spudded": "Spudded", "corrected": "Corrected permit",
    "filed": "Filed, pending approval", "approved": "Approved permit", "left_pending": "Filing no longer pending",
}
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
           "abcdefghijklmnopqrstuvwxyzäöñüà")


def gsm7(text: str) -> str:
    """Keep SMS in the GSM-7 alphabet: one non-GSM character would make it UCS-2, 70 a segment."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch if ch in _GSM else " " for ch in plain)


def links(p: dict, base_url: str, token: str | None = None) -> dict[str, str]:
    """token: the delivery's signed token (services.engagement.links), so opening the link
    counts as opening the alert."""
    base = base_url.rstrip("/")
    t = f"t={token}" if token else ""
    return {"permit": f"{base}/permits/{p['status_number']}{'?' + t if t else ''}",
            "map": f"{base}/map?permit={p['status_number']}{'&' + t if t else ''}",
            "short": f"{base}/p/{p['status_number']}{'?' + t if t else ''}"}


def _miles(meters: float | None) -> str | None:
    if meters is None:
        return None
    return "inside" if meters <= 0 else f"{meters / 1609.344:.1f} mi"


def _well(p: dict) -> str:
    return " ".join(x for x in (p.get("lease_name"), p.get("well_number")) if x) or "unnamed well"


def _where(p: dict) -> str:
    distance = _miles(p.get("distance_m"))
    if p.get("aoi_name") and distance:
        return f"inside {p['aoi_name']}" if distance == "inside" else f"{distance} from {p['aoi_name']}"
    return ""


def _what(p: dict) -> str:
    if p.get("first_located"):
        return "New permit here (location just published)"
    return CHANGE_WORDS.get(p.get("change_type"), "Permit update")


def headline(p: dict) -> str:
    what = _what(p)
    return f"{what}: {p.get('operator_name') or 'unknown operator'} - {_well(p)} ({p.get('county') or '?'} County)"


def sms(p: dict, base_url: str, note: str | None = None, token: str | None = None) -> str:
    """One segment where possible: the fields are cut to fit, never the link."""
    link = links(p, base_url, token)["short"]
    what = ("NEW PERMIT HERE" if p.get("first_located") else CHANGE_WORDS.get(p.get("change_type"), "Update")).upper()
    parts = [f"{what} {p['status_number']}", _cut(p.get("operator_name") or "", 24), _cut(_well(p), 26),
             f"{p.get('county') or '?'} Co", _profile_depth(p), _where(p)]
    body = gsm7(", ".join(x for x in parts if x))
    if note:
        body = gsm7(note) + " " + body
    room = SMS_SEGMENT - len(link) - 1
    if len(body) > room:
        body = body[: room - 3].rstrip(" ,") + "..."
    return f"{body} {link}"


def _cut(text: str, width: int) -> str:
    return text[:width].rstrip(" ,.&-")


def _profile_depth(p: dict) -> str:
    profile = {"horizontal": "horiz", "directional": "dir", "vertical": "vert", "sidetrack": "sidetrk"}.get(
        p.get("wellbore_profile") or "", "")
    depth = f"{p['total_depth']:,}ft" if p.get("total_depth") else ""
    return " ".join(x for x in (profile, depth) if x)


def _facts(p: dict) -> list[tuple[str, str]]:
    rows = [
        ("Operator", p.get("operator_name")), ("Lease / well", _well(p)),
        ("County", f"{p.get('county')} (RRC district {p.get('district')})" if p.get("county") else None),
        ("Filing purpose", p.get("filing_purpose")), ("Wellbore profile", p.get("wellbore_profile")),
        ("Total depth", f"{p['total_depth']:,} ft" if p.get("total_depth") else None),
        ("Status number", p.get("status_number")), ("API number", p.get("api_number")),
        ("Issued", p.get("issued_date")), ("Distance to area", _where(p) or None),
        ("Matched by", p.get("matched_by")),
    ]
    for field, (old, new) in (p.get("changed_fields") or {}).items():
        rows.append((f"Changed: {field.replace('_', ' ')}", f"{_short(old)} -> {_short(new)}"))
    return [(k, str(v)) for k, v in rows if v]


def _short(value) -> str:
    text = "none" if value in (None, "", []) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _local(iso: str) -> str:
    t = datetime.fromisoformat(iso).astimezone(RRC_TZ)
    return f"{t:%b} {t.day}, {int(t.strftime('%I'))}:{t:%M %p} {t.tzname()}"


def timing(p: dict, sent_at: datetime | None = None) -> list[tuple[str, str]]:
    """When the RRC had it, and how long after that this alert went out."""
    rows = []
    if p.get("submitted_at"):
        rows.append(("Filed with the RRC", _local(p["submitted_at"])
                     + (f"; approved {p['hours_to_approval'] / 24:.1f} days later" if p.get("hours_to_approval") else "")))
    if p.get("published_at"):
        text = f"RRC published {_local(p['published_at'])}"
        if sent_at is not None:
            minutes = max(0, round((sent_at - datetime.fromisoformat(p["published_at"])).total_seconds() / 60))
            text += f"; alert sent {minutes:,} min later" if minutes < 600 else f"; alert sent {minutes / 60:,.0f} h later"
        rows.append(("Timing", text))
    return rows


def email(p: dict, base_url: str, note: str | None = None, sent_at: datetime | None = None, token: str | None = None) -> dict[str, str]:
    ln = links(p, base_url, token)
    facts = _facts(p) + timing(p, sent_at)
    rule = f"Alert rule: {p.get('rule_name')}" if p.get("rule_name") else ""
    text = "\n".join([*(x for x in (note,) if x), headline(p), "", *(f"{k}: {v}" for k, v in facts), "",
                      f"Permit: {ln['permit']}", f"Map: {ln['map']}", "", rule]).strip() + "\n"
    rows = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    note_html = f"<p><strong>{html.escape(note)}</strong></p>" if note else ""
    body = (f"<html><body>{note_html}<h2>{html.escape(headline(p))}</h2><table>{rows}</table>"
            f"<p><a href='{html.escape(ln['permit'])}'>View the permit</a> | <a href='{html.escape(ln['map'])}'>Open the map</a></p>"
            f"<p style='color:#666'>{html.escape(rule)}</p></body></html>")
    return {"subject": headline(p), "text": text, "html": body}


def in_app(p: dict, note: str | None = None, sent_at: datetime | None = None) -> dict[str, str]:
    body = "; ".join(f"{k}: {v}" for k, v in _facts(p)[:6] + timing(p, sent_at)[-1:])
    return {"title": headline(p), "body": f"{note} {body}" if note else body}


def digest(items: list[dict], rule_name: str, mode: str, base_url: str) -> dict[str, str]:
    """One message for a rule's events of a period (daily or weekly)."""
    n = len(items)
    subject = f"{n} drilling permit update{'s' if n != 1 else ''} for {rule_name} ({mode} digest)"
    lines, rows = [], []
    for p in items:
        ln = links(p, base_url, p.get("link_token"))
        where = _where(p)
        lines.append(f"- {headline(p)}{', ' + where if where else ''}\n  {ln['permit']}")
        rows.append(f"<li><a href='{html.escape(ln['permit'])}'>{html.escape(headline(p))}</a>"
                    f"{html.escape(', ' + where) if where else ''}{_note_html(p)}</li>")
    notes = sorted({p["note"] for p in items if p.get("note")})
    text = "\n".join([subject, "", *notes, *([""] if notes else []), *lines]) + "\n"
    one = links(items[0], base_url, items[0].get("link_token"))
    body = (f"<html><body><h2>{html.escape(subject)}</h2>"
            + "".join(f"<p><strong>{html.escape(x)}</strong></p>" for x in notes)
            + f"<ul>{''.join(rows)}</ul></body></html>")
    return {"subject": subject, "text": text, "html": body,
            "sms": gsm7(f"{subject}. {one['short'] if n == 1 else base_url.rstrip('/') + '/app#/inbox'}")[:SMS_SEGMENT]}


def _note_html(p: dict) -> str:
    return f" <em>({html.escape(p['note'])})</em>" if p.get("note") else ""


def safe_header(text: str) -> str:
    """No line breaks in a mail header."""
    return re.sub(r"[\r\n]+", " ", text)


def render(channel: str, event: dict, base_url: str, note: str | None = None, sent_at: datetime | None = None,
           token: str | None = None) -> dict:
    """The message for one channel, made when it is sent (with the current base URL)."""
    if channel == "sms":
        return {"text": sms(event, base_url, note, token)}
    if channel == "email":
        return email(event, base_url, note, sent_at, token)
    return in_app(event, note)
