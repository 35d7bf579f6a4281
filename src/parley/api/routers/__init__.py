"""Routers: parse, call one use case, render."""
