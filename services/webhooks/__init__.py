"""Outbound webhooks: workspaces' HTTPS endpoints for alert events and permit changes."""
