"""The tile pass: a signed user id and expiry; refused when expired, re-signed by another key,
its expiry stretched, or malformed."""

from __future__ import annotations

from services.tenancy import tile_pass


def test_a_pass_names_its_user_until_it_expires():
    made = tile_pass.make("k", "user-1", 1_000)
    assert tile_pass.check("k", made, 1_000 + tile_pass.SECONDS) == "user-1"
    assert tile_pass.check("k", made, 1_001 + tile_pass.SECONDS) is None


def test_a_pass_from_another_key_or_with_a_stretched_expiry_or_malformed_is_refused():
    made = tile_pass.make("k", "user-1", 1_000)
    user, expires, mac = made.split(".")
    assert tile_pass.check("other", made, 1_000) is None
    assert tile_pass.check("k", f"{user}.{int(expires) + 86400}.{mac}", 1_000) is None
    assert tile_pass.check("k", f"user-2.{expires}.{mac}", 1_000) is None
    for bad in (None, "", "a.b", "a.b.c.d", "u.notanumber.x", "x" * 300):
        assert tile_pass.check("k", bad, 1_000) is None
