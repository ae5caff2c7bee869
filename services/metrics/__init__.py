"""Prometheus metrics: what each process measures in-process (registry), what the
database says at scrape time (platform), and the /metrics listener (serve)."""
