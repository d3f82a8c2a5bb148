"""What every workspace-scoped Elasticsearch store holds (the mention store, the customer directory,
the alerting stores): its workspace, checked once; its settings and index prefix; a client built from
the settings on first use, or shared (``client=``: then the caller closes it); the "ready" latch that
runs the store's `ensure_ready` once before the first request; and the workspace filter every query
starts from."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Self

from core.models import check_workspace
from core.settings import Settings, get_settings
from index.es_client import build_client, translated
from index.schema import WORKSPACE_FIELD, validate_prefix

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch


class ScopedElasticsearch:
    """Base of the stores above; a subclass implements `ensure_ready` (create or check its indices)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        workspace: str,
        client: Elasticsearch | None = None,
        prefix: str | None = None,
    ) -> None:
        self._workspace = check_workspace(workspace)
        self.settings = settings if settings is not None else get_settings()
        self.es_settings = self.settings.elasticsearch
        self.prefix = validate_prefix(prefix if prefix is not None else self.es_settings.index_prefix)
        self._client = client
        self._owns_client = client is None
        self._ready = False
        self._lock = threading.RLock()  # `_ensure` builds the client while holding it

    @property
    def workspace(self) -> str:
        """The workspace this store reads and writes; fixed when it was built."""
        return self._workspace

    @property
    def client(self) -> Elasticsearch:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = build_client(self.es_settings)
        return self._client

    def ensure_ready(self) -> None:
        raise NotImplementedError

    def _create_index(self, index: str, mappings: dict[str, Any], **index_settings: Any) -> bool:
        """Create a small index (one shard, the configured replicas) unless it exists; False when it
        did. A concurrent creation is fine."""
        client = self.client
        with translated(f"create the {index} index"):
            if client.indices.exists(index=index):
                return False
            client.options(ignore_status=400).indices.create(
                index=index,
                mappings=mappings,
                settings={
                    "number_of_shards": 1,
                    "number_of_replicas": self.es_settings.number_of_replicas,
                    **index_settings,
                },
            )
        return True

    def _ensure(self) -> Elasticsearch:
        """The client, once `ensure_ready` has run (the first call runs it)."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.ensure_ready()
                    self._ready = True
        return self.client

    def _scoped(self, *clauses: dict[str, Any]) -> dict[str, Any]:
        """A query for this workspace's documents that match every clause."""
        return {"bool": {"filter": [{"term": {WORKSPACE_FIELD: self._workspace}}, *clauses]}}

    def _delete_where(self, index: str, *clauses: dict[str, Any], what: str, batch: int = 1000) -> int:
        """Delete this workspace's documents in `index` matching every clause (refreshed before it
        returns); how many were deleted. Used by privacy erasure (flows/privacy.py). Searches the ids and
        bulk-deletes them, a batch at a time: delete_by_query needs the reindex module, which a
        minimal node may not have."""
        client = self._ensure()
        deleted = 0
        while True:
            with translated(f"find {what} to delete"):
                hits = client.options(ignore_status=404).search(
                    index=index, query=self._scoped(*clauses), size=batch, source=False
                )
            ids = [hit["_id"] for hit in hits.get("hits", {}).get("hits", [])]
            if not ids:
                return deleted
            with translated(f"delete {what}"):
                response = client.bulk(
                    operations=[{"delete": {"_index": index, "_id": doc_id}} for doc_id in ids], refresh=True
                )
            deleted += sum(1 for item in response["items"] if item["delete"].get("result") == "deleted")
            if len(ids) < batch:
                return deleted

    def close(self) -> None:
        """Close the client if this store built it."""
        if self._client is not None and self._owns_client:
            self._client.close()
            self._client = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
