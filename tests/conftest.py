"""Fixtures shared by every test: a real Elasticsearch for `integration` tests. Never mocked, never skipped.

- `es_url` (session): the cluster URL. `bash infra/test.sh` starts a dedicated cluster and exports
  EARFUL_TEST_ES_URL; without that variable the fixture starts its own node on free ports (so plain
  `.venv/bin/pytest tests/...` works) and stops it at the end of the session. An unreachable
  EARFUL_TEST_ES_URL or a node that cannot start fails the test.
- `es_client` / `es_prefix` (function): a client, and a unique lowercase index prefix whose indices,
  aliases and templates are deleted after the test.
- `es_node_factory` (function): private throwaway single nodes that a test may stop and restart, for
  failure tests ("Elasticsearch stops mid-batch"). Each start costs 10-30 s on 2 cores: use sparingly.
- `warm_transformer` (session): one warmed-up transformer tagger for the NLP tests and the tagger
  contract (`model` tests): loading the encoder takes seconds.
- `es_cleanup` (what `es_prefix` runs after each test) and `esnode` (the provisioning module itself).

Process control lives in index/esnode.py (standard library only, shared with `earful es` and, through
infra/elasticsearch/esnode.py, with infra/test.sh).
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, ModuleType
from typing import TYPE_CHECKING

import pytest
from elasticsearch import ApiError, Elasticsearch, TransportError

if TYPE_CHECKING:
    from nlp.transformer_tagger import TransformerTagger


def load_esnode() -> ModuleType:
    """The provisioning module, index/esnode.py (infra/elasticsearch/esnode.py runs the same file)."""
    return importlib.import_module("index.esnode")


def _sigterm_unwinds() -> None:
    """Let SIGTERM (a CI timeout) unwind like Ctrl-C, so fixture teardown stops the JVMs we started
    (they run in their own sessions and would outlive pytest)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, interrupt)


class LocalNode:
    """A single-node cluster on free loopback ports, in its own temp dir (outside pytest's tmp_path: when
    root runs the tests, Elasticsearch runs as an unprivileged user that cannot enter that 0700 tree)."""

    def __init__(self, cluster_name: str = "earful-test") -> None:
        _sigterm_unwinds()
        self._esnode = load_esnode()
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"{cluster_name}-"))
        http_port, transport_port = self._esnode.pick_ports(1)
        self._spec = self._esnode.ClusterSpec(
            data_dir=self.data_dir, port=http_port, transport_port=transport_port, cluster_name=cluster_name
        )
        self.url = f"http://127.0.0.1:{http_port}"

    def start(self) -> None:
        """Start (or restart on the same data) and wait until healthy; fails the test if it cannot."""
        try:
            self._esnode.start_cluster(self._spec)
        except self._esnode.EsNodeError as exc:
            pytest.fail(f"could not start Elasticsearch in {self.data_dir}: {exc}", pytrace=False)

    def stop(self) -> None:
        """Stop the node (SIGTERM by pid, SIGKILL after 30 s); its data stays for `start()`."""
        self._esnode.stop_cluster(self.data_dir)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def esnode() -> ModuleType:
    """The esnode.py module itself (for the tests of the provisioning script)."""
    return load_esnode()


@pytest.fixture(scope="session")
def es_url() -> Iterator[str]:
    url = os.environ.get("EARFUL_TEST_ES_URL", "").rstrip("/")
    if url:
        try:
            with Elasticsearch(url, request_timeout=30) as client:
                client.cluster.health(wait_for_status="yellow", timeout="20s")
        except (ApiError, TransportError) as exc:
            pytest.fail(f"EARFUL_TEST_ES_URL={url} is not a healthy Elasticsearch: {exc}", pytrace=False)
        yield url
        return
    node = LocalNode()
    try:
        node.start()
        yield node.url
    finally:
        node.destroy()


@pytest.fixture
def es_client(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url, request_timeout=30)
    yield client
    client.close()


def delete_prefixed(client: Elasticsearch, prefix: str) -> None:
    """Delete the indices, aliases, index and component templates whose names start with `prefix`."""
    pattern = f"{prefix}*"
    # Wildcard deletes are refused (action.destructive_requires_name), so resolve the names first; not
    # with `indices.get`, whose wildcard also matches our aliases of foreign indices.
    resolved = client.indices.resolve_index(name=pattern, expand_wildcards="all")
    indices = [i["name"] for i in resolved["indices"] if i["name"].startswith(prefix)]
    for alias in resolved["aliases"]:
        foreign = [index for index in alias["indices"] if index not in indices]
        if foreign:  # aliases of our own indices go with them
            client.indices.delete_alias(index=foreign, name=alias["name"])
    if indices:
        client.indices.delete(index=indices, expand_wildcards="all")
    lenient = client.options(ignore_status=404)  # template GETs answer 404 when a wildcard matches nothing
    for template in lenient.indices.get_index_template(name=pattern).get("index_templates", []):
        client.indices.delete_index_template(name=template["name"])
    for component in lenient.cluster.get_component_template(name=pattern).get("component_templates", []):
        client.cluster.delete_component_template(name=component["name"])


@pytest.fixture(scope="session")
def es_cleanup() -> Callable[[Elasticsearch, str], None]:
    """What `es_prefix` runs after each test: `es_cleanup(client, prefix)`, for cleaning mid-test."""
    return delete_prefixed


@pytest.fixture
def es_prefix(es_client: Elasticsearch) -> Iterator[str]:
    """`t-<8 hex>`: name every index, alias and template of the test with it; all are deleted after."""
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    yield prefix
    delete_prefixed(es_client, prefix)


@pytest.fixture
def es_node_factory() -> Iterator[Callable[[], LocalNode]]:
    """Call it to start a private single node (`.url`, `.stop()`, `.start()`); all are removed after."""
    nodes: list[LocalNode] = []

    def make() -> LocalNode:
        node = LocalNode(cluster_name="earful-private")
        nodes.append(node)
        node.start()
        return node

    yield make
    for node in nodes:
        node.destroy()


@pytest.fixture(scope="session")
def warm_transformer() -> TransformerTagger:
    """One warmed-up transformer tagger for the whole run: loading the encoder takes seconds."""
    from nlp.transformer_tagger import TransformerTagger

    tagger = TransformerTagger()
    tagger.warm_up()
    return tagger
