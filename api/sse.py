"""Server-sent events over the live feed of the inbox (`alerts.feed`): one connection polls the alert
store once a second (the process that raises alerts is another one: the store is the only truth they
share) and sends each alert raised or worked on since, as the caller renders it (JSON for the API,
an HTML fragment for the page).

The stream opens with an ``event: ready`` whose ``id:`` is the cursor it starts from; each alert's
event carries the cursor after it as its ``id:``, so a client that reconnects with ``Last-Event-ID``
resumes where it was. A comment line every `HEARTBEAT_SECONDS` of silence keeps proxies from closing
the connection. It ends when the client disconnects, or after `max_seconds`, or after one poll
(``once``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Final

import anyio
from fastapi import Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from alerts.feed import FeedItem, feed_after
from alerts.store import AlertStore

POLL_SECONDS: Final = 1.0
HEARTBEAT_SECONDS: Final = 15.0
RETRY_MS: Final = 3000  # how long a browser waits before it reconnects

#: (event name, data) of a feed item, or None to send nothing for it.
Render = Callable[[FeedItem], tuple[str, str] | None]


def sse_message(data: str, *, event: str | None = None, event_id: str | None = None) -> str:
    """One event in the text/event-stream format (each line of `data` on its own ``data:`` line)."""
    lines = [f"event: {event}"] if event else []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in data.split("\n")]
    return "\n".join(lines) + "\n\n"


async def feed_events(
    request: Request,
    alerts: AlertStore,
    cursor: str,
    render: Render,
    *,
    once: bool = False,
    max_seconds: float | None = None,
    poll_seconds: float = POLL_SECONDS,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
) -> AsyncIterator[str]:
    """The events of the feed after `cursor` (see the module docstring)."""
    yield f"retry: {RETRY_MS}\n" + sse_message(json.dumps({"cursor": cursor}), event="ready", event_id=cursor)
    started = last_sent = time.monotonic()
    while not await request.is_disconnected():
        page = await run_in_threadpool(feed_after, alerts, cursor)
        for item in page.items:
            rendered = render(item)
            if rendered is not None:
                yield sse_message(rendered[1], event=rendered[0], event_id=item.cursor)
                last_sent = time.monotonic()
        cursor = page.cursor
        now = time.monotonic()
        if once or (max_seconds is not None and now - started >= max_seconds):
            return
        if now - last_sent >= heartbeat_seconds:
            yield ": keep-alive\n\n"
            last_sent = now
        await anyio.sleep(poll_seconds)


def event_stream(events: AsyncIterator[str]) -> StreamingResponse:
    """A text/event-stream response that no cache or proxy buffers."""
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-store", "X-Accel-Buffering": "no"},
    )


__all__ = ["HEARTBEAT_SECONDS", "POLL_SECONDS", "Render", "event_stream", "feed_events", "sse_message"]
