"""A visitor reads the landing page, starts a trial, upgrades through the local Stripe
stand-in (Checkout, then signed webhooks), sees the plan and usage, meets a Pro-only
feature as Basic with the way to upgrade, manages billing in the Portal, and finds it in
the audit log; a platform admin reads the product metrics. Desktop and phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import psycopg
import pytest
from playwright.sync_api import expect

from services.engagement.compute import refresh
from services.tenancy.admin import set_platform_admin
from tests.browser.test_screens import PASSWORD, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


def billing_flow(page, base, settings, standin, shots, watch):
    watch.expect(r"status of 402")  # the refused Pro-only call, shown to the user as a banner
    page.set_default_timeout(20_000)
    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Never miss a drilling permit near your acreage.")).to_be_visible()
    expect(page.locator(".plans")).to_contain_text("$99")
    expect(page.locator(".plans")).to_contain_text("$249")
    expect(page.locator(".sms")).to_contain_text("FILED, PENDING APPROVAL")
    shots(page, "landing")
    page.get_by_role("link", name="Start your 14-day free trial").click()
    page.get_by_label("E-mail").fill("buyer@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_function("() => location.hash === '#/welcome'")
    expect(page.locator("#plan-banner")).to_contain_text("Trial: 14 days left")
    with psycopg.connect(settings.database_owner_url) as conn:  # two days later...
        conn.execute("UPDATE workspaces SET trial_ends_at = now() + interval '2 days 2 hours'")
    page.goto(base + "/app#/billing")
    expect(page.locator("#plan-banner")).to_contain_text("Trial: 3 days left")
    expect(page.locator("#plan-banner")).to_contain_text("So far: 0 permits matched in your areas, 0 alerts sent (0 opened)")
    expect(page.get_by_role("heading", name="Plan: Trial")).to_be_visible()
    expect(page.locator("#view")).to_contain_text("What your trial has done so far")
    shots(page, "billing-trial")
    basic = page.locator("form.checkout[data-plan=basic]")
    basic.get_by_label(re.compile("SMS pack")).fill("1")
    basic.get_by_role("button", name="Choose Basic").click()
    page.wait_for_url(re.compile(re.escape(standin.url) + "/checkout/"))
    expect(page.get_by_role("heading", name="Subscribe to permitwatch")).to_be_visible()
    expect(page.locator("table")).to_contain_text("permitwatch SMS pack")
    shots(page, "stripe-checkout")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(re.compile(re.escape(base) + "/app#/billing"))
    expect(page.get_by_role("heading", name=re.compile("Plan: Basic"))).to_be_visible(timeout=30_000)
    expect(page.locator("#view")).to_contain_text("SMS pack × 1")
    expect(page.locator("#view")).to_contain_text("Text messages this month")
    expect(page.get_by_role("button", name="Manage billing")).to_be_visible()
    shots(page, "billing-basic")
    # a Pro-only feature as Basic: refused with the way to upgrade
    page.goto(base + "/app#/keys")
    page.get_by_role("button", name="New API key…").click()
    page.locator("#key-form").get_by_label("Name").fill("CRM sync")
    page.get_by_role("button", name="Make the key").click()
    expect(page.locator("#key-form .form-error")).to_contain_text("The REST API comes with the Pro plan; you are on Basic.")
    expect(page.locator("#plan-banner")).to_contain_text("The REST API comes with the Pro plan; you are on Basic.")
    expect(page.locator("#plan-banner").get_by_role("link", name="Billing and plans")).to_be_visible()
    shots(page, "pro-only-refused")
    page.locator("#key-form").get_by_role("link", name="See plans").click()
    expect(page.locator("#modal")).to_be_hidden()
    page.get_by_role("button", name="Manage billing").click()
    page.wait_for_url(re.compile(re.escape(standin.url) + "/portal/"))
    expect(page.get_by_role("heading", name="Your subscription")).to_be_visible()
    shots(page, "stripe-portal")
    page.get_by_role("button", name="Switch to permitwatch Pro").click()
    page.get_by_role("link", name="← Return to permitwatch").click()
    expect(page.get_by_role("heading", name=re.compile("Plan: Pro"))).to_be_visible(timeout=30_000)
    page.goto(base + "/app#/audit")
    expect(page.locator("#audit-rows")).to_contain_text("the subscription started")
    expect(page.locator("#audit-rows")).to_contain_text("the plan changed")
    shots(page, "audit-billing")
    # the person who runs the service reads the product metrics
    with psycopg.connect(settings.database_owner_url) as conn:
        assert set_platform_admin(conn, "buyer@example.com", True)
        refresh(conn, datetime.now(UTC), weeks=2)
    page.goto(base + "/app#/platform")
    expect(page.get_by_role("heading", name="Product metrics")).to_be_visible()
    expect(page.locator(".weeks > li")).to_have_count(2)
    expect(page.locator(".weeks > li").first).to_contain_text("Actionable alerts opened per active account")
    expect(page.locator("#view")).to_contain_text("the North Star")
    shots(page, "product-metrics")


def test_a_visitor_starts_a_trial_upgrades_through_stripe_and_meets_a_pro_only_feature_on_a_desktop(page, live_billed, shots, watch):
    billing_flow(page, *live_billed, shots, watch)


@pytest.mark.browser_context_args(**PHONE)
def test_a_visitor_starts_a_trial_upgrades_through_stripe_and_meets_a_pro_only_feature_on_a_phone(page, live_billed, shots, watch):
    billing_flow(page, *live_billed, shots, watch)
