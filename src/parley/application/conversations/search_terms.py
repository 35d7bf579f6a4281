"""Turning a user's search box text into terms the repositories can match safely.

Only runs of letters and digits survive, lower-cased, so nothing a user types can reach a
full-text query language as an operator (`"`, `*`, `NEAR`, `&`, `:` ...): the repositories
quote each term on top of that. Both databases split words the same way (at anything that
is not a letter or digit, underscore included), so the same text finds the same rows."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 16
MAX_TERM_LENGTH = 64


def search_terms(text: str) -> tuple[str, ...]:
    """The distinct words of `text`, in order, at most `MAX_TERMS`, each cut to
    `MAX_TERM_LENGTH` characters. Empty when `text` has no letters or digits."""
    terms: list[str] = []
    for match in _WORD.finditer(text.lower()):
        term = match.group()[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return tuple(terms)


def words_of(text: str) -> list[str]:
    """How the repositories' indexes split stored text into words (for in-memory matching)."""
    return _WORD.findall(text.lower())
