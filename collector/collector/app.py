"""The webhook receiver: verify, parse, commit to the inbox, then answer.

Answers (the sender retries anything that is not 2xx):
  200 {"status": "stored"}     committed to the inbox (durably, before this answer)
  200 {"status": "duplicate"}  this svix-id is already stored; nothing written
  401  missing, wrong or stale (> 5 min) signature, or a body altered after signing
  400  validly signed but not a JSON object (or holding values no inbox can store)
  413  body larger than the limit (read with a cap, whatever Content-Length says)
  503  the inbox could not commit within the write timeout; retry later
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import typing as t
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from svix.webhooks import Webhook, WebhookVerificationError

from collector.inbox import Delivery, Inbox, one_line
from collector.writer import WriteQueue

log = logging.getLogger("collector")

MAX_BODY_BYTES = 1024 * 1024  # Okendo events are a few KiB; 1 MiB leaves ample room
# An oversized body is read and thrown away up to this size, so that the sender gets its 413
# instead of a reset connection; beyond it the connection is simply dropped.
DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES
# Okendo retries a delivery not answered 2xx within 15 s: answer 503 well before that.
WRITE_TIMEOUT_SECONDS = 10.0
HEALTH_TIMEOUT_SECONDS = 5.0
INT64 = range(-(2**63), 2**63)
# NUL and lone surrogates parse as JSON but neither PostgreSQL JSONB nor most warehouses
# accept them; refusing them up front beats answering 503 on every retry.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class BodyTooLarge(Exception):
    pass


def create_app(
    inbox: Inbox,
    secret: str,
    *,
    vendor: str = "okendo",
    max_body_bytes: int = MAX_BODY_BYTES,
    write_timeout: float = WRITE_TIMEOUT_SECONDS,
) -> Starlette:
    webhook = Webhook(secret)
    writes = WriteQueue(inbox)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writes.start()
        log.info("collector ready; inbox %s", inbox.display_url)
        try:
            yield
        finally:
            await asyncio.to_thread(writes.stop)

    async def receive(request: Request) -> JSONResponse:
        received_at = datetime.now(UTC)
        try:
            body = await _read_capped(request, max_body_bytes)
        except BodyTooLarge:
            return _refuse(request, 413, f"body larger than {max_body_bytes} bytes")
        except ClientDisconnect:  # the sender gave up mid-body; it will retry
            return _refuse(request, 400, "client disconnected before sending the whole body")
        headers = dict(request.headers)
        try:
            webhook.verify(body, headers)
        except (WebhookVerificationError, ValueError) as exc:
            # ValueError: undecodable body or signature header; the svix message is safe to show.
            return _refuse(request, 401, f"signature rejected: {one_line(exc)}")
        try:
            envelope = _parse_envelope(body)
        except (ValueError, RecursionError) as exc:
            return _refuse(request, 400, f"malformed JSON body: {one_line(exc)}")
        delivery = Delivery(
            # The same id svix verified the signature with.
            delivery_id=headers.get("svix-id") or headers["webhook-id"],
            vendor=vendor,
            received_at=received_at,
            topic=_str(envelope.get("topic")),
            resource_type=_str(envelope.get("resourceType")),
            sequence_number=_int64(envelope.get("sequenceNumber")),
            payload=body.decode("utf-8"),
        )
        try:
            # Cancelling on timeout un-queues the write if it has not started yet.
            sequence = await asyncio.wait_for(
                asyncio.wrap_future(writes.submit(delivery)), write_timeout
            )
        except TimeoutError:
            return _refuse(request, 503, "inbox write timed out; retry later", delivery)
        except Exception:  # already logged by the writer; no internals in the answer
            return _refuse(request, 503, "inbox unavailable; retry later", delivery)
        if sequence is None:
            log.info("duplicate delivery %s ignored", delivery.delivery_id)
            return JSONResponse({"status": "duplicate", "delivery_id": delivery.delivery_id})
        log.debug("stored delivery %s as %d", delivery.delivery_id, sequence)
        return JSONResponse(
            {"status": "stored", "delivery_id": delivery.delivery_id, "inbox_sequence": sequence}
        )

    async def health(request: Request) -> JSONResponse:
        # The store's kind only: this endpoint is as public as the webhook one.
        status: dict[str, t.Any] = {"inbox": inbox.kind, "pending_writes": writes.pending()}
        try:
            count = await asyncio.wait_for(asyncio.to_thread(inbox.count), HEALTH_TIMEOUT_SECONDS)
        except Exception as exc:
            log.warning("health: inbox not reachable: %s", one_line(exc))
            return JSONResponse(
                {**status, "status": "unavailable", "error": "inbox not reachable"}, 503
            )
        if not writes.alive:
            return JSONResponse({**status, "status": "unavailable", "error": "writer stopped"}, 503)
        return JSONResponse({**status, "status": "ok", "events": count})

    return Starlette(
        routes=[
            Route(f"/webhooks/{vendor}", receive, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > DRAIN_LIMIT_BYTES:
        raise BodyTooLarge
    size, chunks = 0, []
    # Content-Length may be absent (chunked) or not the whole story: count what arrives.
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > DRAIN_LIMIT_BYTES:
            break
    if size > limit:
        raise BodyTooLarge
    return b"".join(chunks)


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _parse_envelope(body: bytes) -> dict[str, t.Any]:
    text = body.decode("utf-8")  # already decoded once by the signature check
    envelope = json.loads(text, parse_constant=_reject_constant)
    if not isinstance(envelope, dict):
        raise ValueError("body is not a JSON object")
    if "\\u" in text and _has_unstorable(envelope):
        raise ValueError("body holds a NUL or unpaired surrogate escape")
    return envelope


def _has_unstorable(value: t.Any) -> bool:
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(_has_unstorable(k) or _has_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_unstorable(v) for v in value)
    return False


def _str(value: t.Any) -> str | None:
    return value if isinstance(value, str) else None


def _int64(value: t.Any) -> int | None:
    # Lenient on purpose: an odd sequenceNumber is kept in the payload, not refused.
    if isinstance(value, int) and not isinstance(value, bool) and value in INT64:
        return value
    return None


def _refuse(
    request: Request, status: int, reason: str, delivery: Delivery | None = None
) -> JSONResponse:
    client = request.client.host if request.client else "?"
    ident = f" delivery {delivery.delivery_id}" if delivery else ""
    log.warning("%d from %s%s: %s", status, client, ident, reason)
    return JSONResponse({"error": reason}, status)
