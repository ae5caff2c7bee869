"""Paying for permitwatch: Stripe through its SDK (the catalogue, Checkout, the Portal,
subscription state from its webhook, meter events), the billing notices, the Billing
screen's facts, and a local stand-in for Stripe. What a plan allows is services.entitlements."""
