"""SIGKILL the delivery worker at random moments while more than a thousand notifications
flow: every one is delivered. In-app is exactly once (one transaction). SMS and email are
at-least-once, because neither Twilio's Messages API nor SendGrid's mail send takes an
idempotency key: only a message in flight when its worker died can go out twice, so
duplicates are at most one per kill, and each is recognisable by its outbox id."""

import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter

from services.alerting.evaluate import evaluate_pending
from tests.conftest import env_for, rules_predate_files
from tests.db.test_alert_delivery import BASE, _setup


def _start(settings, fake, log):
    env = env_for(settings) | {
        "PERMITWATCH_SMS_PROVIDER": "twilio", "PERMITWATCH_TWILIO_ACCOUNT_SID": fake.account_sid,
        "PERMITWATCH_TWILIO_AUTH_TOKEN": fake.auth_token, "PERMITWATCH_TWILIO_FROM": "+15005550006",
        "PERMITWATCH_TWILIO_BASE_URL": fake.url, "PERMITWATCH_TWILIO_STATUS_CALLBACK_URL": f"{BASE}/webhooks/twilio",
        "PERMITWATCH_EMAIL_PROVIDER": "sendgrid", "PERMITWATCH_SENDGRID_API_KEY": fake.sendgrid_key,
        "PERMITWATCH_SENDGRID_HOST": fake.url, "PERMITWATCH_DELIVERY_LEASE_SECONDS": "2",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    }
    return subprocess.Popen([sys.executable, "-m", "services", "alerts", "worker", "--no-evaluate", "--poll", "0.2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)  # a file: an unread pipe would block it


def _outbox_id(request) -> int:
    if request.route == "twilio":
        return int(urllib.parse.parse_qs(urllib.parse.urlsplit(request.form()["StatusCallback"]).query)["outbox"][0])
    return int(request.json()["custom_args"]["outbox_id"].rsplit("-", 1)[1])


def test_kill_9_during_delivery_loses_nothing(settings, app_conn, worker_conn, fake, tmp_path):
    _setup(settings, app_conn, worker_conn, county=None, channels={"sms": True, "email": True, "in_app": True})
    rules_predate_files(worker_conn)
    evaluate_pending(worker_conn)
    worker_conn.commit()
    total = dict(worker_conn.execute("SELECT channel, count(*) FROM notification_outbox GROUP BY 1").fetchall())
    assert sum(total.values()) >= 1000
    rng = random.Random(7)
    kills = 0
    log = (tmp_path / "worker.log").open("ab")
    proc = _start(settings, fake, log)
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 1.5))
            left = worker_conn.execute("SELECT count(*) FROM notification_outbox WHERE status <> 'sent'").fetchone()[0]
            worker_conn.commit()
            if left == 0:
                break
            if kills < 8:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                kills += 1
                proc = _start(settings, fake, log)
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()
    assert kills == 8
    status = dict(worker_conn.execute("SELECT status, count(*) FROM notification_outbox GROUP BY 1").fetchall())
    assert status == {"sent": sum(total.values())}, status
    # In-app: exactly once.
    assert worker_conn.execute("SELECT count(*), count(DISTINCT alert_event_id) FROM notifications").fetchone() == (total["in_app"],) * 2
    # SMS and email: every outbox row reached the provider; duplicates only from kills.
    seen = Counter(_outbox_id(r) for r in fake.delivered("twilio") + fake.delivered("sendgrid"))
    external = {i for (i,) in worker_conn.execute("SELECT id FROM notification_outbox WHERE channel IN ('sms', 'email')")}
    assert set(seen) == external
    duplicates = sum(n - 1 for n in seen.values())
    print(f"\n{sum(total.values())} notifications, {kills} SIGKILLs, {duplicates} duplicate provider sends")
    assert duplicates <= kills
