"""Alert link tokens: they name their delivery, cannot be made up or moved to another
delivery, stay short enough for a text, and the links carry them."""

from __future__ import annotations

from services.alerting.messages import SMS_SEGMENT, links, sms
from services.engagement.links import outbox_of, token

SECRET = "unit-secret"
EVENT = {"change_type": "new", "status_number": "0916848", "operator_name": "A VERY LONG OPERATOR NAME OPERATING COMPANY LLC",
         "lease_name": "UNIVERSITY LANDS 12-34 UNIT", "well_number": "104H", "county": "MIDLAND", "wellbore_profile": "horizontal",
         "total_depth": 19_250, "aoi_name": "North block", "distance_m": 0}


def test_a_token_names_its_delivery_and_nothing_else():
    t = token(SECRET, 123_456_789)
    assert outbox_of(SECRET, t) == 123_456_789
    assert outbox_of("another-secret", t) is None
    assert outbox_of(SECRET, token(SECRET, 5)[:-1] + "x") is None
    moved = token(SECRET, 6)[:-10] + t[-10:]  # another row's id with this row's MAC
    assert outbox_of(SECRET, moved) is None
    for junk in (None, "", "abc", "!!!!!!!!!!!!!!", "z" * 40):
        assert outbox_of(SECRET, junk) is None


def test_links_carry_the_token_and_the_text_keeps_its_link_whole():
    t = token(SECRET, 987_654)
    ln = links(EVENT, "https://permitwatch.example", t)
    assert ln["short"] == f"https://permitwatch.example/p/0916848?t={t}"
    assert ln["map"].endswith(f"?permit=0916848&t={t}") and ln["permit"].endswith(f"/permits/0916848?t={t}")
    text = sms(EVENT, "https://permitwatch.example", token=t)
    assert len(text) <= SMS_SEGMENT and text.endswith(ln["short"])
