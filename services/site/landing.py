"""PURE. The public landing page as one HTML document: no script, no framework, no
third-party anything (fonts, analytics, pixels), so it loads fast on a phone in a truck."""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

from services.alerting.messages import sms
from services.entitlements.plans import ADDONS, PLANS, SMS_OVERAGE, SOLD, TRIAL_DAYS, dollars

CENTRAL = ZoneInfo("America/Chicago")
SAMPLE = {"change_type": "filed", "status_number": "912345", "operator_name": "Example Operating LLC", "lease_name": "University 12 Unit",
          "well_number": "4H", "county": "Midland", "wellbore_profile": "horizontal", "total_depth": 10400, "aoi_name": "Spraberry North",
          "distance_m": 0}
TITLE = "permitwatch: Texas drilling permit alerts for landmen and small operators"
DESCRIPTION = ("Know the day a drilling permit is filed near your acreage. permitwatch reads every Railroad Commission of Texas "
               "filing, weekends included, and alerts you by text, e-mail or app. From $99 a month; 14-day free trial.")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def freshness_words(latest: datetime | None) -> str:
    if latest is None:
        return "RRC data: the first files are loading"
    local = latest.astimezone(CENTRAL)
    if latest.hour == 0 and latest.minute == 0:  # a file known only by its day
        return f"RRC data as of {latest:%B} {latest.day}, {latest.year}"
    return f"RRC data as of {local:%B} {local.day}, {local:%I:%M %p}".replace(" 0", " ") + " Central"


def _plan_card(code: str) -> str:
    p = PLANS[code]
    lim = p.limits
    lines = [f"{lim.areas} areas, {lim.alert_rules} alert rules", f"{lim.seats} team members",
             f"{lim.sms_per_month:,} text alerts a month", f"{lim.exports_per_day} exports a day, activity reports"]
    lines.append(f"REST API ({lim.api_calls_per_month:,} calls a month) and webhooks" if lim.api_calls_per_month else "Operator pages and watchlists")
    items = "".join(f"<li>{_esc(x)}</li>" for x in lines)
    return (f'<section class="plan{" featured" if code == "pro" else ""}"><h3>{_esc(p.name)}</h3>'
            f'<p class="price"><b>{_esc(dollars(p.cents_per_month))}</b> a month</p><p>{_esc(p.summary)}</p><ul>{items}</ul>'
            f'<a class="cta" href="/app#/signup">Start free trial</a></section>')


def render(base_url: str, latest: datetime | None, signed_in: bool) -> str:
    base = base_url.rstrip("/")
    addons = "; ".join(f"{a.name}: {a.unit}, {dollars(a.cents_per_month)} a month" for a in ADDONS.values())
    account = ('<a class="cta" href="/app#/permits">Open permitwatch</a>' if signed_in else
               '<a href="/app#/signin">Sign in</a> <a class="cta" href="/app#/signup">Start free trial</a>')
    plans = "".join(_plan_card(c) for c in SOLD)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(TITLE)}</title>
<meta name="description" content="{_esc(DESCRIPTION)}">
<link rel="canonical" href="{_esc(base)}/">
<meta property="og:type" content="website">
<meta property="og:site_name" content="permitwatch">
<meta property="og:title" content="{_esc(TITLE)}">
<meta property="og:description" content="{_esc(DESCRIPTION)}">
<meta property="og:url" content="{_esc(base)}/">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="{_esc(TITLE)}">
<meta name="twitter:description" content="{_esc(DESCRIPTION)}">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<header class="bar"><a class="brand" href="/">permit<b>watch</b></a><nav aria-label="account">{account}</nav></header>
<main>
<section class="hero">
  <h1>Never miss a drilling permit near your acreage.</h1>
  <p class="lead">permitwatch reads every drilling permit the Railroad Commission of Texas publishes, weekends included, and tells you
  within minutes when one lands in your area: by text, e-mail or in the app. No checking the RRC site by hand.</p>
  <p><a class="cta big" href="/app#/signup">Start your {TRIAL_DAYS}-day free trial</a> <span class="muted">No card needed. Cancel anytime.</span></p>
  <p class="fresh" id="freshness">{_esc(freshness_words(latest))}</p>
</section>
<section class="pain" aria-labelledby="pain">
  <h2 id="pain">Why landmen and small operators miss permits</h2>
  <div class="grid">
    <div><h3>Filed Friday, found Monday</h3><p>Permits keep coming on weekends and holidays. A competitor's new well on your lease line
    can sit unseen for days.</p></div>
    <div><h3>Checking by hand</h3><p>Searching the RRC's site county by county every morning takes time, and one skipped morning is
    the one that mattered.</p></div>
    <div><h3>Enterprise prices</h3><p>The big data platforms are built and priced for large companies. You need the alerts, not a
    five-figure contract.</p></div>
  </div>
</section>
<section class="features" aria-labelledby="what">
  <h2 id="what">What permitwatch does</h2>
  <div class="grid">
    <div><h3>Areas and filters</h3><p>Draw your areas on the map, add a buffer, or import your lease outlines. Filter by operator,
    county, well type, horizontal or vertical, and purpose.</p></div>
    <div><h3>Alerts you control</h3><p>Text, e-mail and in-app alerts as permits are filed and approved, with quiet hours and daily or
    weekly digests. Filings pending approval alert you days before the approval.</p></div>
    <div><h3>Operator pages</h3><p>Watch competitors: every operator's filings, approvals and activity by county and month, and how
    they compare.</p></div>
    <div><h3>Exports and reports</h3><p>CSV, Excel, GeoJSON and KML exports, and monthly activity reports for an area as PDF, ready
    for a client or a partner.</p></div>
    <div><h3>REST API and webhooks</h3><p>On Pro: the permits, changes and alerts through a documented API, and signed webhooks into
    your own systems.</p></div>
  </div>
</section>
<section class="sample" aria-labelledby="sample">
  <h2 id="sample">What an alert looks like</h2>
  <div class="sms" role="img" aria-label="A sample text message alert"><p>{_esc(sms(SAMPLE, base))}</p></div>
  <p class="muted">A sample text, made the way real alerts are: what happened, the operator, the lease and well, the county, the
  kind of well and its depth, where it is against your area, and a link to the permit on the map. E-mail alerts add the full
  permit and when the RRC published it.</p>
</section>
<section class="pricing" aria-labelledby="pricing">
  <h2 id="pricing">Pricing</h2>
  <p>Every plan starts with a {TRIAL_DAYS}-day free trial of everything in Pro. No card needed to start; cancel anytime.</p>
  <div class="plans">{plans}</div>
  <p class="muted">Add-ons: {_esc(addons)}. Text alerts beyond the plan: {_esc(dollars(SMS_OVERAGE.cents_each))} each.</p>
</section>
</main>
<footer><p>Permit data: public records of the Railroad Commission of Texas. permitwatch is not affiliated with the RRC.</p>
<p><a href="/docs">API documentation</a> · <a href="/app#/signin">Sign in</a></p></footer>
</body>
</html>
"""


def sitemap(base_url: str, lastmod: datetime | None) -> str:
    base = _esc(base_url.rstrip("/"))
    mod = f"<lastmod>{lastmod:%Y-%m-%d}</lastmod>" if lastmod else ""
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{base}/</loc>{mod}<changefreq>daily</changefreq></url><url><loc>{base}/docs</loc></url></urlset>\n")


def robots(base_url: str) -> str:
    return ("User-agent: *\nAllow: /$\nAllow: /docs\nDisallow: /app\nDisallow: /v1/\nDisallow: /tiles/\nDisallow: /auth/\n"
            f"Sitemap: {base_url.rstrip('/')}/sitemap.xml\n")
