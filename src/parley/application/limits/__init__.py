"""Limits and quotas: per-tier policies, overrides, and admission with reserve-then-settle."""
