"""Time-ordered ids (UUID version 7, RFC 9562) for high-volume rows.

A usage record is written for every request: a random (v4) primary key lands anywhere in
the index, a v7 one (48-bit Unix milliseconds, then random bits) is appended near its end,
which keeps inserts cheap on PostgreSQL's B-trees and SQLite's. The random part comes from
`random` (seeded from the OS, reseeded in forked children): these ids are row keys, never
secrets or capabilities — a tenth of `uuid4()`'s cost, which reads the OS's random source.
"""

from __future__ import annotations

import random
import time
import uuid

_RAND_62 = (1 << 62) - 1
_VERSION_7 = 0x7 << 76
_VARIANT = 0b10 << 62


def uuid7() -> uuid.UUID:
    millis = time.time_ns() // 1_000_000
    bits = random.getrandbits(74)
    value = (
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | _VERSION_7
        | (bits >> 62) << 64
        | _VARIANT
        | (bits & _RAND_62)
    )
    return uuid.UUID(int=value)
