"""Parsing of settings that hold several values in one string."""

from __future__ import annotations


def comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
