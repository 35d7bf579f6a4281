"""Incidents: admin-managed and opened/resolved automatically by circuit breakers."""
