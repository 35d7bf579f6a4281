"""Conversations and messages: the caller's own, and nobody else's."""
