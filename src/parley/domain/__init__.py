"""Entities, value objects and domain errors. Pure Python: imports nothing but the standard library."""
