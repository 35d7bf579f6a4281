"""Incident notifications POSTed to an operator's webhook, signed, in the background.

Each delivery is one JSON body `{id, event, sent_at, incident, update}`, sent with
`X-Parley-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>` and
`X-Parley-Timestamp: <unix seconds>`. The timestamp is inside the signed body too
(`sent_at`), so a receiver can reject replays. Deliveries are queued and sent in order by
one task: `publish` never waits, so neither the chat path nor an admin request does.
A delivery is tried up to 1 + `retries` times (timeouts, connection errors, 429 and 5xx
are retried with exponential backoff; other answers are not); failures are logged.
Redirects are not followed: the URL is the operator's, and a redirect is a failure."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from parley.application.ports.logger import Logger
from parley.domain.incidents import Incident, IncidentEvent, IncidentUpdate

if TYPE_CHECKING:
    import aiohttp

SIGNATURE_HEADER = "X-Parley-Signature"
TIMESTAMP_HEADER = "X-Parley-Timestamp"


def derived_signing_key(instance_secret: str) -> bytes:
    """The signing key when no webhook secret is configured: HKDF-SHA256 of the instance
    secret with its own purpose, so the instance secret itself never leaves the server."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"parley-incident-webhook",
        info=b"parley/incident-webhook-signing/v1",
    ).derive(instance_secret.encode("utf-8"))


def sign(key: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": str(incident.id),
        "title": incident.title,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "affected_models": list(incident.affected_models),
        "auto": incident.auto,
        "source_model": incident.source_model,
        "created_at": _iso(incident.created_at),
        "updated_at": _iso(incident.updated_at),
        "resolved_at": _iso(incident.resolved_at),
    }


class WebhookIncidentNotifier:
    def __init__(
        self,
        url: str,
        signing_key: bytes,
        logger: Logger,
        *,
        timeout_seconds: float = 5.0,
        retries: int = 3,
        backoff_seconds: float = 1.0,
        max_pending: int = 1000,
    ) -> None:
        self._url = url
        self._key = signing_key
        self._log = logger
        self._timeout = timeout_seconds
        self._retries = retries
        self._backoff = backoff_seconds
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(max_pending)
        self._session: aiohttp.ClientSession | None = None

    def publish(self, event: IncidentEvent, incident: Incident, update: IncidentUpdate) -> None:
        body = {
            "id": str(uuid.uuid4()),
            "event": event.value,
            "sent_at": datetime.now(UTC).isoformat(),
            "incident": incident_payload(incident),
            "update": {
                "id": str(update.id),
                "at": _iso(update.at),
                "status": update.status.value,
                "message": update.message,
            },
        }
        try:
            self._queue.put_nowait(json.dumps(body, separators=(",", ":")).encode())
        except asyncio.QueueFull:
            self._log.error("incident_webhook_dropped", incident_id=str(incident.id))

    async def run(self) -> None:
        """Deliver queued notifications, in order, until cancelled."""
        while True:
            body = await self._queue.get()
            await self._deliver(body, attempts=1 + self._retries)

    async def aclose(self, grace_seconds: float = 5.0) -> None:
        """Try what is still queued once each, within `grace_seconds`; then close."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_seconds):
                while not self._queue.empty():
                    await self._deliver(self._queue.get_nowait(), attempts=1)
        if self._queue.qsize():
            self._log.error("incident_webhook_undelivered_at_shutdown", count=self._queue.qsize())
        if self._session is not None:
            await self._session.close()

    async def _deliver(self, body: bytes, *, attempts: int) -> None:
        for attempt in range(attempts):
            outcome = await self._post(body)
            if outcome is None:
                return
            retryable, reason = outcome
            if not retryable or attempt + 1 >= attempts:
                self._log.error("incident_webhook_failed", reason=reason, attempts=attempt + 1)
                return
            await asyncio.sleep(self._backoff * 2**attempt)

    async def _post(self, body: bytes) -> tuple[bool, str] | None:
        """None when delivered; else (worth retrying, why not)."""
        import aiohttp  # here, not at start-up: ~7.5 MiB resident, for the first incident

        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Parley-Incidents/1",
            SIGNATURE_HEADER: sign(self._key, body),
            TIMESTAMP_HEADER: str(int(time.time())),
        }
        try:
            async with self._session.post(
                self._url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
        except TimeoutError:
            return True, "timeout"
        except (aiohttp.ClientError, OSError) as error:
            return True, type(error).__name__
        if 200 <= status < 300:
            return None
        return status == 429 or status >= 500, f"status {status}"
