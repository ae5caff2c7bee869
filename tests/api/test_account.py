"""Account settings over HTTP, as a user manages them: name and time zone, password, a
phone verified by a texted 6-digit code (hashed, 10 minutes, 5 tries, resends limited),
e-mail changed by a link to the new address, closing the account; and the SMS channel
that turns on once a member's phone is verified."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from services.errors import FieldError
from services.tenancy import phones, profile
from tests.api.conftest import PASSWORD, link_token


def _code(web_settings, phone: str) -> str:
    """The code in the newest text to PHONE (the local stack's SMS folder)."""
    texts = sorted(web_settings.sms_folder.glob("*.txt"), key=lambda p: p.stat().st_mtime)
    body = next(t.read_text() for t in reversed(texts) if f"To: {phone}" in t.read_text())
    return re.search(r"\b(\d{6})\b", body).group(1)


@pytest.fixture
def landman(visitor):
    b = visitor()
    b.signup("landman@example.com", workspace_name="Acme")
    return b


def test_name_and_time_zone_are_saved_and_a_bad_zone_is_named(landman):
    r = landman.send("PATCH", "/v1/account", json={"display_name": "Ann Landman", "timezone": "America/Denver"})
    assert r.status_code == 200 and (r.json()["display_name"], r.json()["timezone"]) == ("Ann Landman", "America/Denver")
    bad = landman.send("PATCH", "/v1/account", json={"timezone": "Texas/Midland"})
    assert bad.status_code == 422 and bad.json()["param"] == "timezone"


def test_a_phone_is_verified_by_the_texted_code_and_turns_the_sms_channel_on(landman, web_settings):
    aoi = landman.post("/v1/aois", json={"name": "Pad", "kind": "rectangle", "bbox": [-102.6, 32.2, -102.4, 32.4]}).json()
    rule = {"name": "Pad", "aoi_id": aoi["id"], "channels": {"sms": True, "in_app": True}}
    refused = landman.post("/v1/alert-rules", json=rule)
    assert refused.status_code == 422 and "verified phone" in refused.json()["detail"]
    r = landman.post("/v1/account/phone", json={"phone": "(512) 555-0100"})
    assert r.status_code == 202 and r.json()["pending_phone"] == "+15125550100" and r.json()["phone_verified"] is False
    code = _code(web_settings, "+15125550100")
    with psycopg.connect(web_settings.database_owner_url) as conn:
        stored = conn.execute("SELECT code_hash FROM phone_verifications").fetchone()[0]
    assert code not in stored and len(stored) == 64  # only a keyed hash is kept
    ok = landman.post("/v1/account/phone/verify", json={"code": code})
    assert ok.status_code == 200 and (ok.json()["phone"], ok.json()["phone_verified"]) == ("+15125550100", True)
    assert landman.post("/v1/alert-rules", json=rule).status_code == 201
    members = landman.get("/v1/workspace/members").json()["members"]
    assert members[0]["phone_verified"] is True


def test_five_wrong_codes_use_the_code_up_and_each_try_counts(landman, web_settings):
    landman.post("/v1/account/phone", json={"phone": "+1 512 555 0101"})
    code = _code(web_settings, "+15125550101")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    details = [landman.post("/v1/account/phone/verify", json={"code": wrong}).json()["detail"] for _ in range(5)]
    assert details[0].endswith("4 tries left") and details[3].endswith("1 try left")
    last = landman.post("/v1/account/phone/verify", json={"code": code})
    assert last.status_code == 422 and "5 wrong codes" in last.json()["detail"]
    assert landman.get("/v1/account").json()["phone_verified"] is False


def test_resends_are_limited(landman):
    assert landman.post("/v1/account/phone", json={"phone": "5125550102"}).status_code == 202
    again = landman.post("/v1/account/phone", json={"phone": "5125550102"})
    assert again.status_code == 422 and "wait" in again.json()["detail"]


def test_a_code_expires_after_ten_minutes(web_settings):
    with psycopg.connect(web_settings.database_url) as conn:
        user = conn.execute("INSERT INTO users (email, password_hash) VALUES ('x@example.com', '!') RETURNING id").fetchone()[0]
        cur = conn.cursor()
        sent = profile.start_phone_verification(cur, web_settings.secret_key, user, "512-555-0103", now=datetime.now(UTC) - timedelta(minutes=11))
        with pytest.raises(FieldError, match="expired"):
            profile.confirm_phone(cur, web_settings.secret_key, user, None, sent.code)


@pytest.mark.parametrize("raw, expected", [("(512) 555-0100", "+15125550100"), ("1-512-555-0100", "+15125550100"),
                                           ("+44 20 7946 0958", "+442079460958"), ("512.555.0100", "+15125550100")])
def test_phone_numbers_as_people_type_them(raw, expected):
    assert phones.normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["555-0100", "(012) 555-0100", "+1 512 155 0100", "call me", "+0123", ""])
def test_numbers_that_cannot_be_texted_are_refused(raw):
    with pytest.raises(phones.PhoneError):
        phones.normalize_phone(raw)


def test_password_change_ends_other_sessions_but_not_this_one(landman, visitor):
    other = visitor()
    assert other.post("/auth/login", json={"email": "landman@example.com", "password": PASSWORD}).status_code == 200
    wrong = landman.post("/v1/account/password", json={"current_password": "nope", "new_password": "derrick floor 99 sunset"})
    assert wrong.status_code == 422 and wrong.json()["param"] == "password"
    r = landman.post("/v1/account/password", json={"current_password": PASSWORD, "new_password": "derrick floor 99 sunset"})
    assert r.status_code == 200
    assert landman.get("/v1/account").status_code == 200 and other.get("/v1/account").status_code == 401


def test_an_email_change_waits_for_the_link_sent_to_the_new_address(landman, smtp):
    r = landman.post("/v1/account/email", json={"email": "ann@newco.example", "password": PASSWORD})
    assert r.status_code == 202 and landman.get("/v1/account").json()["email"] == "landman@example.com"
    token = link_token(smtp, "ann@newco.example", "email")
    assert landman.post("/v1/account/email/confirm", json={"token": token}).status_code == 200
    assert landman.get("/v1/account").json()["email"] == "ann@newco.example"
    assert landman.post("/v1/account/email/confirm", json={"token": token}).status_code == 422  # single use


def test_closing_an_account_needs_the_password_and_a_successor_owner(landman, visitor, web_settings):
    assert landman.post("/v1/account/delete", json={"password": "wrong"}).status_code == 422
    landman.post("/v1/workspace/invitations", json={"email": "bob@example.com"})
    with psycopg.connect(web_settings.database_owner_url) as conn:  # bob joins as a member
        ws, = conn.execute("SELECT id FROM workspaces").fetchone()
        bob = conn.execute("INSERT INTO users (email, password_hash) VALUES ('bob@example.com', '!') RETURNING id").fetchone()[0]
        conn.execute("INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'member')", (ws, bob))
    stuck = landman.post("/v1/account/delete", json={"password": PASSWORD})
    assert stuck.status_code == 422 and "only owner of Acme" in stuck.json()["detail"]
    landman.send("PATCH", f"/v1/workspace/members/{bob}", json={"role": "owner"})
    assert landman.post("/v1/account/delete", json={"password": PASSWORD}).status_code == 204
    assert landman.get("/v1/account").status_code == 401
    with psycopg.connect(web_settings.database_owner_url) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE email = 'landman@example.com'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM workspace_members").fetchone()[0] == 1
        assert conn.execute("SELECT action FROM audit_log WHERE action = 'user.deleted'").fetchone() == ("user.deleted",)
