"""Parley: a self-hosted, multi-user LLM chat gateway."""

__version__ = "0.1.0"
