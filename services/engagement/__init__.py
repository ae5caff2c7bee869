"""Product metrics: alert opens counted through signed links (no tracking pixel), what
follows an open, active accounts, activation and trial-to-paid, week by week."""
