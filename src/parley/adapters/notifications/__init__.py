"""Outbound notifications (incident webhooks)."""
