"""`earful index migrate`: move the mentions alias to an index of the code's schema version.

The distribution tests run has no ``_reindex``, so the copy is client-side: scroll the old index, turn
each ``_source`` back into an EnrichedMention (through `UPGRADES` when the document shape changed),
and bulk it into ``<prefix>-mentions-v<N>`` with the current code, which also re-analyses the text.

Steps, each safe to repeat after a crash:
1. install the current template; create ``v<N>`` (its mapping comes from the template);
2. put a write block on the old index, so no write can land there after the copy started (writers get
   a retryable error and their flow retries the batch, which then goes to the new index);
3. copy every document, check the new index holds as many as the old one;
4. move the alias in one atomic ``update_aliases`` (remove + add, ``is_write_index``);
5. keep the old index, write-blocked, as a backup (or delete it with ``delete_old``).
If a step before 4 fails, the write block is lifted and the alias still points to the old index.

Workspaces (schema version 4): each mention keeps the workspace its document names, and a document of
an older version, which names none, goes to ``default``; the copy writes it under its scoped ``_id``.
The small unversioned indices (state, saved searches) are moved in place by `rescope_in_place`, the
same way the customer directory moves its own when it opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from core.errors import SchemaError, StoreError
from core.ids import scoped_doc_id
from core.models import DEFAULT_WORKSPACE, EnrichedMention
from core.settings import ElasticsearchSettings
from index import schema
from index.bulk import BulkWriter
from index.es_client import translated

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]
UPGRADES: dict[int, Upgrade] = {}
"""``UPGRADES[v]`` turns a version-v ``_source`` (without ``analysis``) into a version v+1 one. A version
without an entry kept the document shape (only the mapping or the analysis changed)."""

Action = Literal["created", "attached", "up_to_date", "migrated", "would_create", "would_migrate"]


@dataclass
class MigrationReport:
    alias: str
    target_index: str
    target_version: int
    action: Action
    source_index: str | None = None
    source_version: int | None = None
    documents: int = 0
    old_index_deleted: bool = False
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What happened, for people."""
        target = f"{self.target_index} (schema v{self.target_version})"
        source = f"{self.source_index} (v{self.source_version})"
        verb = {
            "created": f"created {target} behind {self.alias}",
            "attached": f"attached {self.alias} to the existing {target}",
            "up_to_date": f"{self.alias} -> {target} is up to date: nothing to do",
            "migrated": f"copied {self.documents} mentions from {source} to {target} and moved {self.alias}",
            "would_create": f"would create {target} behind {self.alias}",
            "would_migrate": f"would copy {self.documents} mentions from {source} to {target} "
            f"and move {self.alias}",
        }[self.action]
        return [verb, *self.notes]


def _upgrade(source: dict[str, Any], from_version: int, to_version: int) -> dict[str, Any]:
    for version in range(from_version, to_version):
        step = UPGRADES.get(version)
        if step is not None:
            source = step(source)
    return source


def _set_write_block(client: Elasticsearch, index: str, blocked: bool) -> None:
    with translated("set the write block"):
        client.indices.put_settings(index=index, settings={"index.blocks.write": blocked})


def copy_documents(
    client: Elasticsearch,
    settings: ElasticsearchSettings,
    source_index: str,
    target_index: str,
    source_version: int,
    target_version: int = schema.SCHEMA_VERSION,
    *,
    page_size: int = 1000,
) -> int:
    """Copy every mention of ``source_index`` into ``target_index`` with the current code, each in its
    workspace (``default`` for a document written before workspaces); the count."""
    from elasticsearch import helpers

    writers: dict[str, BulkWriter] = {}
    batches: dict[str, list[EnrichedMention]] = {}
    copied = 0

    def flush(workspace: str) -> int:
        writer = writers.get(workspace)
        if writer is None:
            writer = writers[workspace] = BulkWriter(
                client, settings, target_index, workspace=workspace, require_alias=False, refresh="false"
            )
        return writer.write(batches.pop(workspace)).written

    with translated("scroll the old index"):
        hits = helpers.scan(
            client,
            index=source_index,
            query={"query": {"match_all": {}}},
            size=page_size,
            scroll="5m",
            _source_excludes=[schema.ANALYSIS_FIELD],
        )
        for hit in hits:
            workspace = str(hit["_source"].get(schema.WORKSPACE_FIELD) or DEFAULT_WORKSPACE)
            try:
                upgraded = _upgrade(hit["_source"], source_version, target_version)
                batch = batches.setdefault(workspace, [])
                batch.append(schema.mention_from_source(upgraded))
            except ValidationError as exc:
                raise SchemaError(
                    f"document {hit['_id']} of {source_index} does not fit schema v{target_version}: "
                    "add an upgrade step to index.migrate.UPGRADES",
                    details={
                        "id": hit["_id"],
                        "index": source_index,
                        "errors": exc.errors(include_url=False),
                    },
                ) from exc
            if len(batch) >= page_size:
                copied += flush(workspace)
    for workspace in list(batches):
        copied += flush(workspace)
    return copied


def rescope_in_place(client: Elasticsearch, index: str, *, meta: dict[str, Any], page_size: int = 500) -> int:
    """Move the documents of an unversioned index written before workspaces into ``default``: each is
    indexed again under ``scoped_doc_id("default", its _id)`` with ``workspace: "default"``, then its old
    document deleted. Their old ``_id`` is always the id the scoped one is made of (a source name, a
    saved search's or a customer's id). The mapping gains the field first and `meta` (which says
    ``workspaces: true``) last, so an interrupted run is finished by the next one. Returns how many
    documents moved."""
    from elasticsearch import helpers

    moved = 0
    with translated(f"add the workspace field to {index}"):
        client.indices.put_mapping(index=index, properties={schema.WORKSPACE_FIELD: schema.WORKSPACE_MAPPING})
    unscoped = {"query": {"bool": {"must_not": [{"exists": {"field": schema.WORKSPACE_FIELD}}]}}}
    operations: list[dict[str, Any]] = []
    with translated(f"move the documents of {index} into the default workspace"):
        client.indices.refresh(index=index)  # the scan must see every document, the latest included
        for hit in helpers.scan(client, index=index, query=unscoped, size=page_size):
            operations += [
                {"index": {"_index": index, "_id": scoped_doc_id(DEFAULT_WORKSPACE, hit["_id"])}},
                {**hit["_source"], schema.WORKSPACE_FIELD: DEFAULT_WORKSPACE},
                {"delete": {"_index": index, "_id": hit["_id"]}},
            ]
            moved += 1
            if len(operations) >= 3 * page_size:
                _bulk(client, index, operations)
                operations = []
        if operations:
            _bulk(client, index, operations)
        client.indices.refresh(index=index)
        client.indices.put_mapping(index=index, meta=meta)
    return moved


def _bulk(client: Elasticsearch, index: str, operations: list[dict[str, Any]]) -> None:
    response = client.bulk(operations=operations)
    if response.get("errors"):
        failures = [
            {"id": result.get("_id"), "reason": result.get("error")}
            for item in response["items"]
            for result in item.values()
            if result.get("error")
        ]
        raise StoreError(
            f"{len(failures)} documents of {index} were not moved into the default workspace",
            details={"index": index, "failures": failures[:20]},
        )


def migrate_small_indices(client: Elasticsearch, prefix: str, *, dry_run: bool = False) -> list[str]:
    """Create the state and saved searches indices, or move an older one's documents into ``default``;
    what was done, for people."""
    notes: list[str] = []
    for index in (schema.state_index_name(prefix), schema.saved_searches_index_name(prefix)):
        with translated("check the small indices"):
            exists = bool(client.indices.exists(index=index))
        if not exists or schema.has_workspaces(client, index):
            continue
        if dry_run:
            with translated("count the documents to move"):
                count = int(client.count(index=index)["count"])
            notes.append(f"would move the {count} documents of {index} into the default workspace")
        else:
            moved = rescope_in_place(client, index, meta=dict(schema.SMALL_INDEX_META))
            notes.append(f"moved the {moved} documents of {index} into the default workspace")
    if not dry_run:
        schema.ensure_state_index(client, prefix)
        schema.ensure_saved_searches_index(client, prefix)
    return notes


def migrate(
    client: Elasticsearch,
    prefix: str,
    settings: ElasticsearchSettings,
    *,
    dry_run: bool = False,
    delete_old: bool = False,
    target_version: int = schema.SCHEMA_VERSION,
    page_size: int = 1000,
) -> MigrationReport:
    """Bring ``<prefix>-mentions`` to ``target_version``, then the state and saved searches indices to
    workspaces; see the module docstring."""
    report = _migrate_mentions(
        client,
        prefix,
        settings,
        dry_run=dry_run,
        delete_old=delete_old,
        target_version=target_version,
        page_size=page_size,
    )
    if not (dry_run and report.action == "would_create"):
        report.notes += migrate_small_indices(client, prefix, dry_run=dry_run)
    return report


def _migrate_mentions(
    client: Elasticsearch,
    prefix: str,
    settings: ElasticsearchSettings,
    *,
    dry_run: bool,
    delete_old: bool,
    target_version: int,
    page_size: int,
) -> MigrationReport:
    schema.validate_prefix(prefix)
    alias = schema.alias_name(prefix)
    target = schema.index_name(prefix, target_version)
    report = MigrationReport(
        alias=alias, target_index=target, target_version=target_version, action="up_to_date", dry_run=dry_run
    )
    if not dry_run:
        schema.put_template(client, prefix)
    source = schema.alias_target(client, prefix)

    if source is None:  # a fresh cluster, or an index left without its alias
        with translated("check the target index"):
            exists = bool(client.indices.exists(index=target))
        if dry_run:
            report.action = "would_create"
            return report
        if exists:
            with translated("attach the alias"):
                client.indices.update_aliases(
                    actions=[{"add": {"index": target, "alias": alias, "is_write_index": True}}]
                )
            report.action = "attached"
        else:
            schema.create_mentions_index(client, prefix, settings, target_version, with_alias=True)
            report.action = "created"
        return report

    source_version = schema.index_schema_version(client, source)
    report.source_index, report.source_version = source, source_version
    if source_version == target_version:
        report.action = "up_to_date"
        return report
    if source_version is None or source_version > target_version:
        raise SchemaError(
            f"{source} has schema version {source_version}; this code migrates up to {target_version}",
            details={"index": source, "index_version": source_version, "code_version": target_version},
        )
    with translated("count the old index"):
        report.documents = int(client.count(index=source)["count"])
    if dry_run:
        report.action = "would_migrate"
        report.notes.append(f"the old index would be {'deleted' if delete_old else 'kept, write-blocked'}")
        return report

    created = schema.create_mentions_index(client, prefix, settings, target_version)
    if not created:
        report.notes.append(f"{target} already existed (an interrupted migration?): copying into it again")
    with translated("pause refreshes on the new index"):
        client.indices.put_settings(index=target, settings={"index.refresh_interval": "-1"})
    _set_write_block(client, source, True)
    try:
        copy_documents(client, settings, source, target, source_version, target_version, page_size=page_size)
        with translated("check the copy"):
            client.indices.put_settings(index=target, settings={"index.refresh_interval": None})
            client.indices.refresh(index=target)
            copied = int(client.count(index=target)["count"])
        if copied != report.documents:
            raise SchemaError(
                f"copied {copied} mentions into {target} but {source} holds {report.documents}; "
                "the alias was not moved",
                details={
                    "source": source,
                    "target": target,
                    "source_count": report.documents,
                    "target_count": copied,
                },
            )
        with translated("move the alias"):
            client.indices.update_aliases(
                actions=[
                    {"remove": {"index": source, "alias": alias}},
                    {"add": {"index": target, "alias": alias, "is_write_index": True}},
                ]
            )
    except BaseException:
        _set_write_block(client, source, False)
        raise
    report.action = "migrated"
    if delete_old:
        with translated("delete the old index"):
            client.indices.delete(index=source)
        report.old_index_deleted = True
        report.notes.append(f"deleted {source}")
    else:
        report.notes.append(f"kept {source} (write-blocked) as a backup; delete it when satisfied")
    return report


def status(client: Elasticsearch, prefix: str) -> dict[str, Any]:
    """Alias, the index behind it, its schema version and document count, and older versioned indices."""
    from elasticsearch import NotFoundError

    alias = schema.alias_name(prefix)
    target = schema.alias_target(client, prefix)
    info: dict[str, Any] = {
        "alias": alias,
        "index": target,
        "index_version": None,
        "code_version": schema.SCHEMA_VERSION,
        "documents": None,
        "template_version": None,
        "other_indices": [],
    }
    with translated("read the index status"):
        try:
            found = client.indices.get_index_template(name=schema.template_name(prefix))
            templates = found["index_templates"]
            info["template_version"] = templates[0]["index_template"].get("version") if templates else None
        except NotFoundError:
            pass
        versioned = client.indices.get(
            index=f"{prefix}-mentions-v*", allow_no_indices=True, expand_wildcards="open,closed"
        )
        info["other_indices"] = sorted(name for name in versioned.body if name != target)
        if target is not None:
            info["index_version"] = schema.index_schema_version(client, target)
            info["documents"] = int(client.count(index=target)["count"])
    if target is None:
        info["state"] = "missing"
    elif info["index_version"] == schema.SCHEMA_VERSION:
        info["state"] = "ok"
    elif (info["index_version"] or 0) < schema.SCHEMA_VERSION:
        info["state"] = "needs_migration"
    else:
        info["state"] = "newer_than_code"
    return info
