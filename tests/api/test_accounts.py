"""Accounts over HTTP: sign-up, sign-in, CSRF, rate limiting, verification, reset,
invitations and roles, with real e-mails through SMTP."""

from __future__ import annotations

import psycopg

from tests.api.conftest import PASSWORD, link_token


def test_signup_makes_a_workspace_and_a_session_and_sends_a_verification_link(visitor, smtp, web_settings):
    b = visitor()
    made = b.signup("Ann@Example.com", workspace_name="Ann Land")
    me = b.get("/auth/me").json()
    assert me["user"]["email"] == "Ann@example.com" and me["user"]["email_verified"] is False
    assert me["role"] == "owner" and me["workspaces"][0]["name"] == "Ann Land" and me["workspace_id"] == made["workspace_id"]
    token = link_token(smtp, "Ann@example.com", "verify")
    assert b.post("/auth/verify", json={"token": token}).status_code == 200
    assert b.get("/auth/me").json()["user"]["email_verified"] is True
    again = b.post("/auth/verify", json={"token": token})
    assert again.status_code == 400 and again.headers["content-type"] == "application/problem+json"
    with psycopg.connect(web_settings.database_owner_url) as conn:
        stored = conn.execute("SELECT password_hash FROM users WHERE email = 'Ann@example.com'").fetchone()[0]
        sessions = conn.execute("SELECT token_hash FROM user_sessions").fetchall()
        audit = conn.execute("SELECT action FROM audit_log WHERE action = 'user.signed_up'").fetchall()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert b.http.cookies["pw_session"] not in {s[0] for s in sessions}  # only hashes are stored
    assert audit == [("user.signed_up",)]


def test_signup_refuses_weak_passwords_duplicates_and_bad_addresses(visitor):
    b = visitor()
    weak = b.post("/auth/signup", json={"email": "bob@example.com", "password": "short"})
    assert weak.status_code == 422 and weak.json()["param"] == "password"
    assert "at least 10" in weak.json()["detail"]
    bad = b.post("/auth/signup", json={"email": "not-an-address", "password": PASSWORD})
    assert bad.status_code == 422 and bad.json()["param"] == "email"
    b.signup("bob@example.com")
    dup = visitor().post("/auth/signup", json={"email": "BOB@example.com", "password": PASSWORD})
    assert dup.status_code == 422 and "already has an account" in dup.json()["detail"]


def test_state_changing_calls_need_the_sessions_csrf_token(visitor):
    b = visitor()
    b.signup("carl@example.com")
    no_header = b.http.post("/v1/saved-searches", json={"name": "x", "filters": {"districts": ["08"]}})
    assert no_header.status_code == 403 and no_header.json()["type"].endswith("/csrf")
    forged = b.http.post("/v1/saved-searches", json={"name": "x", "filters": {"districts": ["08"]}},
                         headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    assert b.post("/v1/saved-searches", json={"name": "x", "filters": {"districts": ["08"]}}).status_code == 201
    # A token from another session (cookie and header both copied) does not pass either.
    other = visitor()
    other.signup("dora@example.com")
    stolen = other.csrf()["X-CSRF-Token"]
    b.http.cookies.set("pw_csrf", stolen)
    assert b.http.post("/v1/saved-searches", json={"name": "y", "filters": {"districts": ["08"]}},
                       headers={"X-CSRF-Token": stolen}).status_code == 403


def test_login_logout_and_the_rate_limit(visitor, web_settings):
    visitor().signup("erin@example.com")
    b = visitor()
    assert b.get("/v1/aois").status_code == 401
    for _ in range(web_settings.login_attempts_per_15min):
        r = b.post("/auth/login", json={"email": "erin@example.com", "password": "wrong password!"})
        assert r.status_code == 401 and r.json()["detail"] == "that e-mail and password do not match an account"
    blocked = b.post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    from services.queueing import redis_client

    redis_client(web_settings).flushdb()
    assert b.post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD}).status_code == 200
    assert b.get("/v1/aois").status_code == 200
    assert b.post("/auth/logout").status_code == 204
    assert b.get("/v1/aois").status_code == 401


def test_a_stranger_cannot_lock_a_known_user_out(visitor, web_settings):
    visitor().signup("erin@example.com")
    stranger = visitor("127.0.0.66")
    for _ in range(web_settings.login_attempts_per_15min + 3):
        stranger.post("/auth/login", json={"email": "erin@example.com", "password": "guessing 123456"})
    assert stranger.post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD}).status_code == 429
    erin = visitor("127.0.0.7")  # erin, from her own address
    assert erin.post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD}).status_code == 200


def test_colleagues_behind_one_address_are_slowed_never_locked_out(visitor, web_settings):
    import time

    visitor().signup("erin@example.com")
    office = "127.0.0.9"
    limit = web_settings.login_attempts_per_15min
    for n in range(limit * 10):  # many colleagues' typos from one office address
        visitor(office).post("/auth/login", json={"email": f"colleague{n}@example.com", "password": "typo typo typo"})
    started = time.monotonic()
    r = visitor(office).post("/auth/login", json={"email": "erin@example.com", "password": PASSWORD})
    assert r.status_code == 200 and time.monotonic() - started >= 1.0  # slowed by a second, but in


def test_password_reset_by_email_ends_other_sessions(visitor, smtp):
    first = visitor()
    first.signup("fay@example.com")
    anon = visitor()
    r = anon.post("/auth/password-reset", json={"email": "fay@example.com"})
    unknown = anon.post("/auth/password-reset", json={"email": "nobody@example.com"})
    assert r.status_code == unknown.status_code == 202 and r.json() == unknown.json()
    token = link_token(smtp, "fay@example.com", "reset")
    weak = anon.post("/auth/password-reset/confirm", json={"token": token, "password": "abc"})
    assert weak.status_code == 422
    ok = anon.post("/auth/password-reset/confirm", json={"token": token, "password": "a brand new passphrase"})
    assert ok.status_code == 200
    assert anon.get("/auth/me").json()["user"]["email_verified"] is True
    assert first.get("/v1/aois").status_code == 401  # the old session ended
    assert anon.post("/auth/password-reset/confirm", json={"token": token, "password": "another new one!!"}).status_code == 400
    assert visitor().post("/auth/login", json={"email": "fay@example.com", "password": "a brand new passphrase"}).status_code == 200


def test_invitations_roles_and_who_may_do_what(visitor, smtp):
    owner = visitor()
    ws = owner.signup("gil@example.com", workspace_name="Gil Minerals")["workspace_id"]
    assert owner.post("/v1/workspace/invitations", json={"email": "hal@example.com", "role": "member"}).status_code == 201
    token = link_token(smtp, "hal@example.com", "invite")
    anon = visitor()
    assert anon.get(f"/auth/invitations/{token}").json() == {"workspace_name": "Gil Minerals", "email": "hal@example.com", "role": "member"}
    wrong = visitor()
    wrong.signup("ivy@example.com")
    refused = wrong.post("/auth/invitations/accept", json={"token": token})
    assert refused.status_code == 403 and "hal@example.com" in refused.json()["detail"]
    hal = visitor()
    hal.signup("hal@example.com", invitation=token)
    me = hal.get("/auth/me").json()
    assert me["workspace_id"] == ws and me["role"] == "member" and len(me["workspaces"]) == 2
    assert hal.post("/auth/invitations/accept", json={"token": token}).status_code == 404  # used
    # A member cannot invite or change roles; the owner can; the last owner cannot be demoted.
    assert hal.post("/v1/workspace/invitations", json={"email": "x@example.com"}).status_code == 403
    hal_id = me["user"]["id"]
    gil_id = owner.get("/auth/me").json()["user"]["id"]
    assert hal.send("PATCH", f"/v1/workspace/members/{gil_id}", json={"role": "member"}).status_code == 403
    assert owner.send("PATCH", f"/v1/workspace/members/{hal_id}", json={"role": "admin"}).status_code == 200
    last = owner.send("PATCH", f"/v1/workspace/members/{gil_id}", json={"role": "admin"})
    assert last.status_code == 403 and "at least one owner" in last.json()["detail"]
    members = owner.get("/v1/workspace/members").json()["members"]
    assert {(m["email"], m["role"]) for m in members} == {("gil@example.com", "owner"), ("hal@example.com", "admin")}
    assert owner.send("DELETE", f"/v1/workspace/members/{hal_id}").status_code == 204
    # Removed: Hal's session falls back to Hal's own workspace.
    assert hal.get("/auth/me").json()["workspace_id"] != ws
