"""Plans, entitlements and Stripe: what a workspace may do, what it pays, and the
subscription state Stripe reports."""
