"""The pure parts of outbound webhooks: signatures a receiver can check (and which fail on a
changed body, another secret or an old timestamp), secrets derived from the server key and a
salt, and which addresses a delivery may never go to."""

from __future__ import annotations

import ipaddress

import pytest

from services.errors import FieldError
from services.webhooks import addresses, signing


def test_a_signature_verifies_with_its_secret_and_fails_on_a_changed_body_another_secret_or_an_old_time():
    secret, body, now = "whsec_abc", b'{"id":"evt_1"}', 1_800_000_000
    header = signing.header([secret], now, body)
    assert signing.verify(header, body, secret, now + 299)
    assert not signing.verify(header, body + b" ", secret, now)
    assert not signing.verify(header, body, "whsec_other", now)
    assert not signing.verify(header, body, secret, now + 301)  # replayed after the window
    assert not signing.verify(None, body, secret, now) and not signing.verify("v1=abc", body, secret, now)
    assert not signing.verify(f"t={now},t={now},{header.split(',')[1]}", body, secret, now)  # two stamps: refused


def test_during_a_rotation_either_secret_verifies():
    header = signing.header(["whsec_new", "whsec_old"], 100, b"x")
    assert header.count("v1=") == 2
    assert signing.verify(header, b"x", "whsec_new", 100) and signing.verify(header, b"x", "whsec_old", 100)


def test_secrets_come_from_the_server_key_and_the_salt_so_a_database_copy_alone_cannot_sign():
    salt = signing.new_salt()
    one = signing.secret_for("server-key", salt)
    assert one.startswith("whsec_") and one == signing.secret_for("server-key", salt)
    assert one != signing.secret_for("another-key", salt) and one != signing.secret_for("server-key", signing.new_salt())
    with pytest.raises(ValueError):
        signing.secret_for("", salt)


@pytest.mark.parametrize("addr, why", [
    ("127.0.0.1", "loopback"), ("10.0.0.7", "private"), ("172.16.4.4", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("100.64.0.1", "public"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
    ("::1", "loopback"), ("fe80::1", "link-local"), ("fc00::1", "private"), ("::ffff:10.0.0.1", "private"),
])
def test_internal_addresses_are_refused_with_the_reason(addr, why):
    reason = addresses.refusal(ipaddress.ip_address(addr))
    assert reason is not None and why in reason


def test_public_addresses_pass_and_opened_networks_pass():
    assert addresses.refusal(ipaddress.ip_address("8.8.8.8")) is None
    assert addresses.refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert addresses.refusal(ipaddress.ip_address("127.0.0.1"), addresses.networks("127.0.0.0/8, ::1/128")) is None


@pytest.mark.parametrize("url, says", [
    ("http://hooks.example.com/x", "HTTPS"), ("ftp://hooks.example.com", "HTTPS"), ("https:///x", "no host"),
    ("https://me:pw@hooks.example.com/", "user name"), ("https://hooks.example.com/#frag", "fragment"),
    ("https://hooks.example.com:99999/", "not a URL"), ("https://h.example.com/" + "a" * 2001, "at most"),
])
def test_urls_that_cannot_be_webhooks_are_refused_naming_the_url(url, says):
    with pytest.raises(FieldError) as refused:
        addresses.parse(url)
    assert refused.value.field == "url" and says in str(refused.value)


def test_a_url_keeps_its_path_query_and_port():
    t = addresses.parse("https://Hooks.Example.com.:8443/in/permitwatch?team=land")
    assert (t.host, t.port, t.path) == ("hooks.example.com", 8443, "/in/permitwatch?team=land")
