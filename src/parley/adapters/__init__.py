"""Implementations of the application's ports: SQL, Redis, in-memory, providers, security."""
