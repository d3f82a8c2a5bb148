"""Failure paths of the Elasticsearch writer, against real Elasticsearch nodes (nothing is mocked):
per-item mapping errors, 429 from an overloaded cluster, and a node that stops in the middle of a batch."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from core.errors import PartialWriteError, StoreUnavailable, is_retryable
from core.models import DEFAULT_WORKSPACE, WritePolicy
from core.settings import ElasticsearchSettings
from index.backends.elasticsearch import ElasticsearchMentionStore
from index.base import UpsertResult
from index.bulk import BulkItem, BulkWriter
from index.testing.corpus import enriched_mention, enriched_mentions
from tests.index.stores import es_test_settings

pytestmark = pytest.mark.integration

FAST_RETRIES = {"max_retries": 4, "initial_backoff": 0.01, "max_backoff": 0.05}


# --- a throttling proxy in front of the real cluster ---------------------------------------------
class ThrottlingProxy:
    """Forwards everything to Elasticsearch, except that `_bulk` requests follow a script:
    ``"429"`` answers the whole request with 429 and Retry-After, ``"split"`` forwards only the even
    items and answers 429 for the odd ones (a per-item rejection), ``"pass"`` forwards as is."""

    def __init__(self, upstream: str, script: list[str], retry_after: str = "0") -> None:
        self.upstream = urlsplit(upstream)
        self.script = list(script)
        self.retry_after = retry_after
        self.bulk_sizes: list[int] = []  # operations per _bulk request received, in order
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if self.path.split("?")[0].endswith("/_bulk"):
                    proxy.bulk(self, body)
                else:
                    proxy.forward(self, body)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ThrottlingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def _upstream(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, dict[str, str], bytes]:
        host = self.upstream.hostname or "127.0.0.1"
        conn = http.client.HTTPConnection(host, self.upstream.port, timeout=30)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in ("host", "content-length")}
        conn.request(handler.command, handler.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        hop = ("content-length", "transfer-encoding")
        out = {k: v for k, v in response.getheaders() if k.lower() not in hop}
        conn.close()
        return response.status, out, data

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], data: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(data)

    def forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        self._reply(handler, *self._upstream(handler, body))

    def bulk(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        lines = body.splitlines(keepends=True)
        pairs = [lines[i : i + 2] for i in range(0, len(lines), 2)]  # index/create ops: action + source
        self.bulk_sizes.append(len(pairs))
        step = self.script.pop(0) if self.script else "pass"
        json_headers = {"content-type": "application/json", "x-elastic-product": "Elasticsearch"}
        if step == "429":
            error = {
                "error": {"type": "es_rejected_execution_exception", "reason": "rejected by the proxy"},
                "status": 429,
            }
            headers = {**json_headers, "retry-after": self.retry_after}
            self._reply(handler, 429, headers, json.dumps(error).encode())
            return
        if step == "pass":
            self.forward(handler, body)
            return
        kept = [pair for k, pair in enumerate(pairs) if k % 2 == 0]
        status, _, data = self._upstream(handler, b"".join(b"".join(p) for p in kept))
        assert status == 200, data
        forwarded = iter(json.loads(data)["items"])
        items = []
        for k, pair in enumerate(pairs):
            if k % 2 == 0:
                items.append(next(forwarded))
            else:
                op = next(iter(json.loads(pair[0])))
                items.append(
                    {
                        op: {
                            "_id": json.loads(pair[0])[op].get("_id"),
                            "status": 429,
                            "error": {
                                "type": "es_rejected_execution_exception",
                                "reason": "rejected by the proxy",
                            },
                        }
                    }
                )
        response = {"errors": True, "took": 1, "items": items}
        self._reply(handler, 200, json_headers, json.dumps(response).encode())


def _store(url: str, prefix: str, **settings: Any) -> ElasticsearchMentionStore:
    store = ElasticsearchMentionStore(
        es_test_settings(url, prefix, **settings), workspace=DEFAULT_WORKSPACE, prefix=prefix
    )
    return store


@pytest.fixture
def store(es_url: str, es_prefix: str) -> Iterator[ElasticsearchMentionStore]:
    store = _store(es_url, es_prefix, bulk_chunk_size=20, **FAST_RETRIES)
    store.ensure_ready()
    yield store
    store.close()


# --- per-item errors -----------------------------------------------------------------------------
def test_mapping_error_is_reported_with_its_id_and_the_rest_is_written(
    store: ElasticsearchMentionStore,
) -> None:
    good = enriched_mentions(45, seed=21)
    # date_nanos cannot hold dates before 1970: a real per-item mapping error from Elasticsearch
    bad = enriched_mention("too-old", published_at=datetime(1960, 1, 1, tzinfo=UTC))
    batch = [*good[:30], bad, *good[30:]]
    with pytest.raises(PartialWriteError) as caught:
        store.upsert(batch)
    error = caught.value
    assert [f["id"] for f in error.failures] == [bad.id]
    assert error.failures[0]["status"] == 400
    assert "1970" in error.failures[0]["reason"]
    assert not is_retryable(error)
    assert error.details["created"] == 45
    store.refresh()
    assert store.count() == 45
    assert store.get(bad.id) is None
    assert all(store.get(m.id) == m for m in good[::9])


def test_create_policy_conflicts_are_skips_not_errors(store: ElasticsearchMentionStore) -> None:
    batch = enriched_mentions(25, seed=22)
    assert store.upsert(batch[:10]) == UpsertResult(created=10)
    assert store.upsert(batch, WritePolicy.create) == UpsertResult(created=15, skipped=10)


# --- 429 -----------------------------------------------------------------------------------------
def test_whole_request_429_is_retried_with_backoff(es_url: str, es_prefix: str) -> None:
    with ThrottlingProxy(es_url, ["429", "429", "429"], retry_after="0.04") as proxy:
        store = _store(proxy.url, es_prefix, bulk_chunk_size=100, **FAST_RETRIES)
        store.ensure_ready()
        sleeps: list[float] = []
        writer = BulkWriter(
            store.client, store.es_settings, store.alias, workspace=store.workspace, sleep=sleeps.append
        )
        batch = enriched_mentions(50, seed=23)
        assert writer.write(batch) == UpsertResult(created=50)
        assert proxy.bulk_sizes == [50, 50, 50, 50]
        # doubling from 0.01, never below Retry-After (0.04), never above max_backoff (0.05)
        assert sleeps == [0.04, 0.04, 0.04]
        store.refresh()
        assert store.count() == 50
        store.close()


def test_per_item_429_retries_only_the_rejected_items(es_url: str, es_prefix: str) -> None:
    with ThrottlingProxy(es_url, ["split", "split", "pass"]) as proxy:
        store = _store(proxy.url, es_prefix, bulk_chunk_size=100, **FAST_RETRIES)
        store.ensure_ready()
        batch = enriched_mentions(40, seed=24)
        assert store.upsert(batch) == UpsertResult(created=40)  # each item created exactly once
        assert proxy.bulk_sizes == [40, 20, 10]
        store.refresh()
        assert store.count() == 40
        assert store.get(batch[-1].id) == batch[-1]
        store.close()


def test_429_beyond_the_retries_is_unavailable_and_retryable(es_url: str, es_prefix: str) -> None:
    with ThrottlingProxy(es_url, ["429"] * 10) as proxy:
        store = _store(proxy.url, es_prefix, max_retries=2, initial_backoff=0.0, max_backoff=0.0)
        store.ensure_ready()
        with pytest.raises(StoreUnavailable) as caught:
            store.upsert(enriched_mentions(5, seed=25))
        assert is_retryable(caught.value)
        assert proxy.bulk_sizes == [5, 5, 5]
        store.close()
    with ThrottlingProxy(es_url, ["split"] * 10) as proxy:
        store = _store(proxy.url, es_prefix, max_retries=1, initial_backoff=0.0, max_backoff=0.0)
        with pytest.raises(PartialWriteError) as partial:
            store.upsert(enriched_mentions(8, seed=26))
        assert partial.value.retryable  # only rejections are left: the flow retries the batch
        assert [f["status"] for f in partial.value.failures] == [429, 429]
        store.close()


# --- a node that stops mid-batch -----------------------------------------------------------------
class _StopAfter(BulkWriter):
    """Stops the node after ``after`` bulk requests: a real outage at a chosen point of the batch."""

    def __init__(self, *args: Any, stop: Callable[[], None], after: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop, self._after = stop, after

    def _send(self, items: list[BulkItem], refresh: str) -> list[dict[str, Any]] | None:
        if self.requests_sent == self._after:
            self._stop()
        return super()._send(items, refresh)


def test_node_stopping_mid_batch_then_restarting(es_node_factory: Callable[[], Any]) -> None:
    node = es_node_factory()
    settings = es_test_settings(node.url, "failover", bulk_chunk_size=50, max_retries=1, request_timeout=10)
    store = ElasticsearchMentionStore(settings, workspace=DEFAULT_WORKSPACE)
    store.ensure_ready()
    batch = enriched_mentions(500, seed=27)

    writer = _StopAfter(
        store.client, store.es_settings, store.alias, workspace=store.workspace, stop=node.stop, after=3
    )
    with pytest.raises(StoreUnavailable) as caught:
        writer.write(batch)  # what store.upsert does, with the outage after 3 of 10 chunks
    assert is_retryable(caught.value)
    assert writer.requests_sent == 4

    node.start()  # same data directory, same port
    result = store.upsert(batch)  # the flow retries the same batch: idempotent by id
    assert result == UpsertResult(created=350, updated=150)
    store.refresh()
    assert store.count() == 500
    assert all(store.get(m.id) == m for m in batch[::50])
    store.close()


def test_unreachable_cluster_is_unavailable() -> None:
    settings = ElasticsearchSettings(hosts=["http://127.0.0.1:9"], max_retries=0, request_timeout=2)
    from core.settings import Settings

    store = ElasticsearchMentionStore(
        Settings(elasticsearch=settings), workspace=DEFAULT_WORKSPACE, prefix="nowhere"
    )
    with pytest.raises(StoreUnavailable):
        store.upsert([enriched_mention("a")])
    with pytest.raises(StoreUnavailable):
        store.count()
    store.close()


# --- pipelining -------------------------------------------------------------------------------------
class _Recording(BulkWriter):
    """Records the ids of each request and how many requests were in flight at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent: list[list[str]] = []
        self.refreshes: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._guard = threading.Lock()

    def _send(self, items: list[BulkItem], refresh: str) -> list[dict[str, Any]] | None:
        with self._guard:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.sent.append([item.id for item in items])
            self.refreshes.append(refresh)
        try:
            return super()._send(items, refresh)
        finally:
            with self._guard:
                self.in_flight -= 1


def test_pipelined_chunks_go_one_at_a_time_in_order(es_url: str, es_prefix: str) -> None:
    import sys

    store = _store(es_url, es_prefix, bulk_chunk_size=7, refresh="wait_for")
    store.ensure_ready()
    batch = enriched_mentions(30, seed=28)
    before = sys.getswitchinterval()
    writer = _Recording(store.client, store.es_settings, store.alias, workspace=store.workspace)
    assert writer.write(batch) == UpsertResult(created=30)
    assert writer.most_in_flight == 1  # the next chunk is encoded, not sent, while one is in flight
    assert [i for ids in writer.sent for i in ids] == [m.id for m in batch]
    assert [len(ids) for ids in writer.sent] == [7, 7, 7, 7, 2]
    assert writer.refreshes == ["false"] * 4 + ["wait_for"]  # the refresh goes with the last request
    assert store.count() == 30  # searchable on return: wait_for
    assert sys.getswitchinterval() == before  # the shorter GIL switch interval is only for the write
    store.close()


def test_a_failure_while_encoding_stops_the_write_and_restores_the_interpreter(
    store: ElasticsearchMentionStore,
) -> None:
    import sys

    from index import bulk

    before = sys.getswitchinterval()
    good = enriched_mentions(3, seed=29)

    def items() -> Iterator[BulkItem]:
        yield from (bulk.encode(m, DEFAULT_WORKSPACE) for m in good)
        raise RuntimeError("encoding failed")

    writer = _Recording(
        store.client,
        store.es_settings.model_copy(update={"bulk_chunk_size": 2}),
        store.alias,
        workspace=store.workspace,
    )
    with pytest.raises(RuntimeError, match="encoding failed"):
        writer._run(items(), conflict_is_skip=False)
    assert writer.sent == [[good[0].id, good[1].id]]  # what was already sent stays sent (idempotent)
    assert sys.getswitchinterval() == before
