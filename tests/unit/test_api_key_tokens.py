"""The Pro API's key format: recognisable, self-checking, stored only as a digest; scopes and
IP allow-lists checked by field."""

from __future__ import annotations

import pytest

from services.apikeys import tokens
from services.errors import FieldError


def test_a_new_key_has_the_prefix_its_checksum_and_only_its_digest_is_kept():
    key, shown, stored = tokens.make()
    assert key.startswith("pwk_") and len(key) == tokens.LENGTH == 40
    assert tokens.well_formed(key) and shown == key[:12]
    assert stored == tokens.digest(key) and key not in stored and len(stored) == 64
    assert len({tokens.make()[0] for _ in range(200)}) == 200


def test_a_mistyped_or_made_up_key_fails_its_checksum_before_any_lookup():
    key, _, _ = tokens.make()
    typo = key[:10] + ("a" if key[10] != "a" else "b") + key[11:]
    for bad in (typo, key[:-1], key + "x", "pwk_" + "A" * 36, "ghp_" + key[4:], key.replace(key[5], "-"), ""):
        assert not tokens.well_formed(bad), bad


def test_scopes_are_known_ones_sorted_and_at_least_one():
    assert tokens.checked_scopes(["permits:read", "alerts:read", "permits:read"]) == ["alerts:read", "permits:read"]
    for bad in ([], ["permits:write"], ["admin"]):
        with pytest.raises(FieldError) as e:
            tokens.checked_scopes(bad)
        assert e.value.field == "scopes"


def test_an_ip_allow_list_takes_addresses_and_networks_and_nothing_else():
    nets = tokens.checked_networks(["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"])
    assert nets == ["203.0.113.7/32", "198.51.100.0/24", "2001:db8::/32"]
    assert tokens.ip_allowed("198.51.100.200", nets) and tokens.ip_allowed("2001:db8::1", nets)
    assert not tokens.ip_allowed("203.0.113.8", nets) and not tokens.ip_allowed("not an ip", nets)
    assert tokens.ip_allowed("192.0.2.1", []) and tokens.ip_allowed("192.0.2.1", None)
    with pytest.raises(FieldError):
        tokens.checked_networks(["10.0.0.300"])


def test_a_policy_takes_the_workspace_quota_or_the_defaults_and_a_sixth_of_the_minute_as_burst():
    from services.apikeys import limits

    p = limits.policy_for(None, None, default_per_minute=60, default_per_month=100_000)
    assert (p.burst, p.per_minute, p.per_month) == (10, 60, 100_000)
    assert limits.policy_for(6, 0, default_per_minute=60, default_per_month=None) == limits.Policy(2, 6, 0)
    assert limits.policy_header(p) == '"burst";q=10;w=1, "minute";q=60;w=60, "month";q=100000;w=2592000'
    assert limits.state_header("minute", -3, 12) == '"minute";r=0;t=12'
    assert limits.tightest([("burst", 9, 1), ("minute", 3, 40), ("month", 3, 900)]) == ("minute", 3, 40)
