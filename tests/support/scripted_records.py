"""What a `ScriptedUpstream` remembers about each chat request, shared safely across threads."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from tests.support.scripted_steps import Step


@dataclass(slots=True)
class RecordedRequest:
    """One chat request as the server saw it, and how its answer ended.

    `headers` has lower-case names. `body` is the parsed JSON (None if it was not JSON).
    Times are `time.monotonic()` values: `completed_at` is set when the whole answer was
    sent, `client_disconnected_at` when the client closed the connection before that, and
    `dropped_by_server` when a `Drop` step cut the connection on purpose.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    step: Step
    received_at: float
    completed_at: float | None = None
    client_disconnected_at: float | None = None
    dropped_by_server: bool = False

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def client_disconnected(self) -> bool:
        return self.client_disconnected_at is not None


class RequestLog:
    """The recorded requests, with waits usable from any thread or event loop."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._records: list[RecordedRequest] = []

    def add(self, record: RecordedRequest) -> int:
        """Append `record`; return its 1-based number."""
        with self._changed:
            self._records.append(record)
            self._changed.notify_all()
            return len(self._records)

    def mark(self, record: RecordedRequest, attribute: str) -> None:
        """Stamp `record.<attribute>` with the current monotonic time."""
        with self._changed:
            setattr(record, attribute, time.monotonic())
            self._changed.notify_all()

    def all(self) -> list[RecordedRequest]:
        with self._changed:
            return list(self._records)

    def last(self) -> RecordedRequest:
        with self._changed:
            if not self._records:
                raise AssertionError("the scripted upstream has received no chat request")
            return self._records[-1]

    async def wait_client_disconnect(self, timeout: float, index: int) -> RecordedRequest:
        deadline = time.monotonic() + timeout
        while (record := self._disconnected(index)) is None:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no client disconnect seen within {timeout} s")
            await asyncio.sleep(0.005)  # polling: the server may live on another loop
        return record

    def wait_client_disconnect_blocking(self, timeout: float, index: int) -> RecordedRequest:
        deadline = time.monotonic() + timeout
        with self._changed:
            while (record := self._disconnected(index)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no client disconnect seen within {timeout} s")
                self._changed.wait(remaining)
            return record

    async def wait_count(self, count: int, timeout: float) -> list[RecordedRequest]:
        deadline = time.monotonic() + timeout
        while len(records := self.all()) < count:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{len(records)} of {count} requests within {timeout} s")
            await asyncio.sleep(0.005)
        return records

    def _disconnected(self, index: int) -> RecordedRequest | None:
        with self._changed:  # re-entrant use from the blocking wait is fine: RLock inside
            try:
                record = self._records[index]
            except IndexError:
                return None
            return record if record.client_disconnected else None
