"""What a user would see arrive after a new day's file: for the newest ingestion run's
alerts, the e-mails in the local mail catcher's folder, the SMS files, and the in-app
inbox rows. The outbox id travels in each message (SMTP Message-ID, SMS file name), so
arrivals are matched to the run's alerts, not just counted."""

from __future__ import annotations

from pathlib import Path

import psycopg

from services.alerting.channels import Message
from services.alerting.report import run_deliveries
from services.settings import LOCAL_DIR, Settings

CHANNELS = ("email", "sms", "in_app")


def _refs(ids: list[int]) -> set[str]:
    return {Message.outbox_ref(i) for i in ids}


def _emails_carrying(folder: Path, refs: set[str], since: float) -> int:
    found = set()
    if folder.is_dir():
        for p in folder.glob("*.eml"):
            if p.stat().st_mtime >= since:
                text = p.read_text(errors="replace")
                found |= {r for r in refs if f"{r}@" in text}
    return len(found)


def arrivals(conn: psycopg.Connection, settings: Settings, mail_folder: Path = LOCAL_DIR / "mail") -> dict:
    d = run_deliveries(conn)
    since = d["started_at"].timestamp() if d["started_at"] else 0.0
    sms_refs = _refs(d["sms"])
    sms_files = {p.stem for p in settings.sms_folder.glob("*.txt")} if settings.sms_folder.is_dir() else set()
    return {"run": str(d["run_id"]), "email": _emails_carrying(mail_folder, _refs(d["email"]), since),
            "sms": len(sms_refs & sms_files), "in_app": d["in_app"]}


def missing_channels(seen: dict) -> list[str]:
    return [c for c in CHANNELS if not seen.get(c)]
