"""The Elasticsearch index schema, as code: names, the mentions template, the document shape, and the
version check that keeps code and index in step.

Layout (``<prefix>`` is ``settings.elasticsearch.index_prefix``):

- index template ``<prefix>-mentions-template`` matching ``<prefix>-mentions-v*``;
- concrete index ``<prefix>-mentions-v<N>``, N = :data:`SCHEMA_VERSION`, whose mapping carries
  ``_meta.schema_version``;
- read/write alias ``<prefix>-mentions`` (``is_write_index``): everything reads and writes through it,
  so `earful index migrate` can build ``v<N+1>`` beside ``v<N>`` and move the alias atomically;
- ``<prefix>-state``: small documents such as sources' cursors;
- ``<prefix>-saved-searches``: named queries per owner.

Workspaces (version 4): every document of these indices has a ``workspace`` keyword, every query of
`index.backends.elasticsearch` is wrapped in a filter on it, and ``_id`` is
``core.ids.scoped_doc_id(workspace, id)`` (id: the mention id, the source name, `SavedSearch.id`), so
the same mention in two workspaces is two documents and a delete by id cannot reach another
workspace's. `earful index migrate` moves what an older version stored into the ``default`` workspace.

Why the text is analysed in Python: the distribution tests run (Maven's integ-test-zip) lacks the
analysis-common module, so it has no stemmer and no cjk_bigram filter. English stemming and Chinese
bigrams are therefore computed by :mod:`index.analysis` (the same code the SQLite backend and the
in-process matcher use) and indexed as pre-analysed token streams with the built-in ``whitespace``
analyzer: ``analysis.terms`` (normalised tokens, one per word or CJK character), ``analysis.stems``
(English Snowball stems at the same positions) and ``analysis.bigrams`` (CJK character pairs). Each
holds title and text as two array values; the position gap between values keeps a phrase (a run of
CJK characters) from spanning them. This works on every distribution and gives every engine identical
tokens at identical positions. ``text`` and ``title`` keep the ``standard`` analyzer for display and
highlighting only.

The stored ``_source`` is exactly ``EnrichedMention.model_dump(mode="json")`` plus the ``analysis``
object, so reading back (dropping ``analysis``) gives the same mention. Dates are ``date_nanos``:
mentions carry microseconds and sorting, ranges and ties must agree with the SQLite backend to the
microsecond (the cost: dates before 1970 are rejected, as a per-item mapping error).

Run ``python -m index.schema render [DIR]`` to write the rendered JSON to ``infra/elasticsearch/templates``;
a test checks the checked-in files equal what this module generates.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from core.errors import SchemaError
from core.models import EnrichedMention
from core.settings import ElasticsearchSettings
from index.analysis import Analysis, analyze_fast
from index.es_client import translated
from index.query.to_es import DEFAULT_FIELDS, es_properties, es_values, es_values_json

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

SCHEMA_VERSION: Final = 4  # 3: aspects with per-aspect polarity; 4: workspaces
"""Bump when the mapping or the document shape changes, and let `earful index migrate` reindex."""

DEFAULT_PREFIX: Final = "earful"
TEMPLATES_DIR: Final = Path(__file__).resolve().parent.parent / "infra" / "elasticsearch" / "templates"
TEMPLATE_PRIORITY: Final = 200
# SearchRequest allows offset and limit up to 10,000 each.
MAX_RESULT_WINDOW: Final = 20_000
# Longest keyword value indexed (characters): 8191 four-byte characters still fit Lucene's 32766-byte
# term limit, so an overlong value is left out of the index instead of failing the whole document.
KEYWORD_IGNORE_ABOVE: Final = 8191
ANALYSIS_FIELD: Final = "analysis"
# The query language's fields (`index.query.to_es`): derived from the mention, so indexed but not kept
# in _source (`_source.excludes`); a migration recomputes them from the mention.
QL_FIELD: Final = DEFAULT_FIELDS.root
DERIVED_FIELDS: Final = (ANALYSIS_FIELD, QL_FIELD)
WORKSPACE_FIELD: Final = "workspace"
WORKSPACE_MAPPING: Final = {"type": "keyword"}  # ids are at most 63 characters: no ignore_above
# A keyword field of the side stores (cases, scores, workflows): longer values are kept, not indexed.
KEYWORD_MAPPING: Final[dict[str, Any]] = {"type": "keyword", "ignore_above": 1024}
# What a stored mention has that `EnrichedMention` does not: dropped when reading one back.
STORAGE_FIELDS: Final = (*DERIVED_FIELDS, WORKSPACE_FIELD)


# --- names ---------------------------------------------------------------------------------------
def alias_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-mentions"


def index_name(prefix: str = DEFAULT_PREFIX, version: int = SCHEMA_VERSION) -> str:
    return f"{prefix}-mentions-v{version}"


def template_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-mentions-template"


def state_index_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-state"


def saved_searches_index_name(prefix: str = DEFAULT_PREFIX) -> str:
    return f"{prefix}-saved-searches"


def validate_prefix(prefix: str) -> str:
    """Index names must be lowercase and may not start with '-', '_' or '+'."""
    forbidden = ' "*\\<|,>/?#:'
    if not prefix or prefix != prefix.lower() or prefix[0] in "-_+" or any(c in prefix for c in forbidden):
        raise SchemaError(f'invalid index prefix {prefix!r}: lowercase, no spaces or \\/*?"<>|,#:')
    return prefix


# --- mappings ------------------------------------------------------------------------------------
def _keyword() -> dict[str, Any]:
    return {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE}


def _stored_only() -> dict[str, Any]:
    # In _source for display, not searchable: URLs can be longer than a term may be.
    return {"type": "keyword", "index": False, "doc_values": False}


_DATE: Final = {"type": "date_nanos"}
_DOUBLE: Final = {"type": "double"}
_DISPLAY_TEXT: Final = {"type": "text", "analyzer": "standard"}
_TOKENS: Final = {"type": "text", "analyzer": "whitespace", "index_options": "positions"}


def mentions_mapping(version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The mapping of a mentions index: one entry per EnrichedMention field, plus ``analysis``."""
    return {
        "dynamic": "strict",
        "_meta": {"schema_version": version, "managed_by": "earful"},
        "_source": {"excludes": [QL_FIELD]},
        "properties": {
            WORKSPACE_FIELD: dict(WORKSPACE_MAPPING),
            "id": _keyword(),
            "platform": _keyword(),
            "native_id": _keyword(),
            "source": _keyword(),
            "text": dict(_DISPLAY_TEXT),
            "title": dict(_DISPLAY_TEXT),
            "url": _stored_only(),
            "site": _keyword(),
            "author": {
                "properties": {
                    "platform": _keyword(),
                    "native_id": _keyword(),
                    "handle": _keyword(),
                    "display_name": _keyword(),
                    "url": _stored_only(),
                    "location": _keyword(),
                    "profile_text": dict(_DISPLAY_TEXT),
                    "followers": {"type": "long"},
                }
            },
            "published_at": dict(_DATE),
            "collected_at": dict(_DATE),
            "lang_hint": _keyword(),
            "country": _keyword(),
            "rating": dict(_DOUBLE),
            "product": _keyword(),
            "thread_id": _keyword(),
            "parent_native_id": _keyword(),
            "hashtags": _keyword(),
            "mentions": _keyword(),
            "metadata": {"type": "object", "enabled": False},
            "lang": _keyword(),
            "sentiment": {
                "properties": {"label": _keyword(), "score": dict(_DOUBLE), "confidence": dict(_DOUBLE)}
            },
            "intents": {"properties": {"label": _keyword(), "confidence": dict(_DOUBLE)}},
            "aspects": {
                "properties": {"label": _keyword(), "polarity": _keyword(), "confidence": dict(_DOUBLE)}
            },
            "customer": {
                "properties": {
                    "customer_id": _keyword(),
                    "confidence": dict(_DOUBLE),
                    "method": _keyword(),
                    "evidence": _keyword(),
                }
            },
            "models": {"properties": {"name": _keyword(), "version": _keyword()}},
            "enriched_at": dict(_DATE),
            ANALYSIS_FIELD: {
                "properties": {"terms": dict(_TOKENS), "stems": dict(_TOKENS), "bigrams": dict(_TOKENS)}
            },
            QL_FIELD: {"properties": es_properties()},
        },
    }


def mentions_index_settings() -> dict[str, Any]:
    """Index settings that belong to the schema (shards and replicas come from the settings)."""
    return {"index": {"max_result_window": MAX_RESULT_WINDOW}}


def mentions_template(prefix: str = DEFAULT_PREFIX, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """Body of the composable index template ``<prefix>-mentions-template``."""
    return {
        "index_patterns": [f"{prefix}-mentions-v*"],
        "priority": TEMPLATE_PRIORITY,
        "version": version,
        "_meta": {"schema_version": version, "managed_by": "earful", "alias": alias_name(prefix)},
        "template": {"settings": mentions_index_settings(), "mappings": mentions_mapping(version)},
    }


# The unversioned indices (state, saved searches) say they have workspaces in their `_meta`:
# `has_workspaces` reads it, `earful index migrate` sets it once their documents are moved.
SMALL_INDEX_META: Final = {"schema_version": SCHEMA_VERSION, "managed_by": "earful", "workspaces": True}


def state_index_body() -> dict[str, Any]:
    """Body of ``<prefix>-state``: cursors are opaque to all but their source, so only stored."""
    return {
        "mappings": {
            "dynamic": "strict",
            "_meta": SMALL_INDEX_META,
            "properties": {
                WORKSPACE_FIELD: dict(WORKSPACE_MAPPING),
                "source": _keyword(),
                "value": {"type": "object", "enabled": False},
                "updated_at": dict(_DATE),
            },
        }
    }


def saved_searches_index_body() -> dict[str, Any]:
    """Body of ``<prefix>-saved-searches`` (doc id = the scoped `SavedSearch.id`): listed by workspace,
    owner and name, the rest only stored."""
    return {
        "mappings": {
            "dynamic": "strict",
            "_meta": SMALL_INDEX_META,
            "properties": {
                WORKSPACE_FIELD: dict(WORKSPACE_MAPPING),
                "id": _keyword(),
                "owner": _keyword(),
                "name": _keyword(),
                "query": _stored_only(),
                "description": _stored_only(),
                "created_at": dict(_DATE),
                "updated_at": dict(_DATE),
            },
        }
    }


# --- rendering -----------------------------------------------------------------------------------
def rendered_templates(prefix: str = DEFAULT_PREFIX) -> dict[str, str]:
    """File name -> JSON text of everything provisioned, as checked into infra/elasticsearch/templates."""

    def dumps(body: dict[str, Any]) -> str:
        return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    return {
        f"{template_name(prefix)}.json": dumps(mentions_template(prefix)),
        f"{state_index_name(prefix)}.json": dumps(state_index_body()),
        f"{saved_searches_index_name(prefix)}.json": dumps(saved_searches_index_body()),
    }


def render_templates(directory: Path = TEMPLATES_DIR, prefix: str = DEFAULT_PREFIX) -> list[Path]:
    """Write the rendered JSON files into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered_templates(prefix).items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- documents -----------------------------------------------------------------------------------
def _analyses(mention: EnrichedMention) -> list[Analysis]:
    return [analyze_fast(value) for value in (mention.title, mention.text) if value]


def analysis_object(mention: EnrichedMention) -> dict[str, list[str]]:
    """Token streams of title and text, as two values of each field: Elasticsearch leaves a position
    gap between array values, so a phrase (a run of CJK characters) never spans title and text."""
    parts = _analyses(mention)
    return {
        "terms": [a.terms for a in parts],
        "stems": [a.stems for a in parts],
        "bigrams": [a.bigrams for a in parts],
    }


def document(mention: EnrichedMention, workspace: str) -> dict[str, Any]:
    """The stored ``_source`` of a mention (readable form; the writer uses :func:`document_json`)."""
    body = mention.model_dump(mode="json")
    body[WORKSPACE_FIELD] = workspace
    body[ANALYSIS_FIELD] = analysis_object(mention)
    body[QL_FIELD] = es_values(mention)
    return body


def _json_strings(values: list[str]) -> str:
    # Token streams are letters, digits and single spaces: nothing in them needs JSON escaping
    # (a test checks it on arbitrary text), so they are quoted as they are.
    return '["' + '","'.join(values) + '"]' if values else "[]"


def document_json(mention: EnrichedMention, workspace: str) -> str:
    """The ``_source`` as JSON text, serialised once: pydantic's JSON plus the workspace and the analysis
    object."""
    return identified_document_json(mention, workspace)[1]


_ID_TAIL = len(',"id":"') + 32 + len('"}')


def identified_document_json(mention: EnrichedMention, workspace: str) -> tuple[str, str]:
    """``(id, document_json)``: the mention id read back from the JSON (pydantic writes the computed
    ``id`` last) instead of hashing a second time; computed again if the JSON ever ends otherwise.
    `workspace` is a checked workspace id (`core.models.check_workspace`): nothing in it needs escaping."""
    head = mention.model_dump_json()
    tail = head[-_ID_TAIL:]
    doc_id = tail[7:-2] if tail.startswith(',"id":"') and tail.endswith('"}') else mention.id
    parts = _analyses(mention)
    title_terms = parts[0].terms if mention.title else None
    text_terms = parts[-1].terms if mention.text else None
    ql = es_values_json(mention, text_terms=text_terms, title_terms=title_terms)
    body = (
        f'{head[:-1]},"{WORKSPACE_FIELD}":"{workspace}","{ANALYSIS_FIELD}":'
        f'{{"terms":{_json_strings([a.terms for a in parts])},'
        f'"stems":{_json_strings([a.stems for a in parts])},'
        f'"bigrams":{_json_strings([a.bigrams for a in parts])}}},'
        f'"{QL_FIELD}":{ql}}}'
    )
    return doc_id, body


def mention_from_source(source: dict[str, Any]) -> EnrichedMention:
    """The mention stored in a ``_source`` (``workspace``, ``analysis``, ``ql`` and the derived ``id``
    are dropped)."""
    data = {k: v for k, v in source.items() if k not in STORAGE_FIELDS}
    return EnrichedMention.model_validate(data)


# --- readiness -----------------------------------------------------------------------------------
def put_template(client: Elasticsearch, prefix: str, *, force: bool = False) -> bool:
    """Install the mentions template unless one at this version or newer is there. True if written."""
    from elasticsearch import NotFoundError

    name = template_name(prefix)
    with translated("read the index template"):
        try:
            found = client.indices.get_index_template(name=name)["index_templates"]
        except NotFoundError:
            found = []
    installed = found[0]["index_template"].get("version") if found else None
    if not force and isinstance(installed, int) and installed >= SCHEMA_VERSION:
        return False
    with translated("install the index template"):
        body = mentions_template(prefix)
        client.indices.put_index_template(
            name=name,
            index_patterns=body["index_patterns"],
            priority=body["priority"],
            version=body["version"],
            meta=body["_meta"],
            template=body["template"],
        )
    return True


def create_mentions_index(
    client: Elasticsearch,
    prefix: str,
    settings: ElasticsearchSettings,
    version: int = SCHEMA_VERSION,
    *,
    with_alias: bool = False,
) -> bool:
    """Create ``<prefix>-mentions-v<version>`` (mapping from the template). False if it existed."""
    from elasticsearch import BadRequestError

    body_settings = {
        "index": {
            "number_of_shards": settings.number_of_shards,
            "number_of_replicas": settings.number_of_replicas,
        }
    }
    aliases = {alias_name(prefix): {"is_write_index": True}} if with_alias else None
    with translated("create the mentions index"):
        try:
            client.indices.create(
                index=index_name(prefix, version),
                settings=body_settings,
                mappings={"_meta": {"schema_version": version, "managed_by": "earful"}},
                aliases=aliases,
            )
        except BadRequestError as exc:
            if "resource_already_exists_exception" in str(exc.error):
                return False
            raise
    return True


def index_schema_version(client: Elasticsearch, index: str) -> int | None:
    """``_meta.schema_version`` of a concrete index (None if it has none)."""
    with translated("read the index mapping"):
        mapping = client.indices.get_mapping(index=index)
    meta = mapping[index]["mappings"].get("_meta", {})
    version = meta.get("schema_version")
    return version if isinstance(version, int) else None


def alias_target(client: Elasticsearch, prefix: str) -> str | None:
    """The concrete index the mentions alias writes to, or None if the alias does not exist."""
    from elasticsearch import NotFoundError

    alias = alias_name(prefix)
    with translated("resolve the mentions alias"):
        try:
            found = client.indices.get_alias(name=alias)
        except NotFoundError:
            return None
    indices: list[str] = list(found.body)
    if len(indices) == 1:
        return indices[0]
    writers: list[str] = [
        name for name, body in found.body.items() if body["aliases"][alias].get("is_write_index")
    ]
    if len(writers) != 1:
        raise SchemaError(
            f"alias {alias} points to {sorted(indices)} without one write index",
            details={"alias": alias, "indices": sorted(indices)},
        )
    return writers[0]


def check_version(client: Elasticsearch, prefix: str, index: str) -> int:
    version = index_schema_version(client, index)
    if version is None or version < SCHEMA_VERSION:
        raise SchemaError(
            f"index {index} has schema version {version}, this code needs {SCHEMA_VERSION}: "
            "run `earful index migrate`",
            details={"index": index, "index_version": version, "code_version": SCHEMA_VERSION},
        )
    if version > SCHEMA_VERSION:
        raise SchemaError(
            f"index {index} has schema version {version}, newer than this code's {SCHEMA_VERSION}: "
            "upgrade Earful",
            details={"index": index, "index_version": version, "code_version": SCHEMA_VERSION},
        )
    return version


def has_workspaces(client: Elasticsearch, index: str) -> bool:
    """Whether an existing index has been brought to workspaces (``_meta.workspaces``, set by the
    index's creation or, last, by `index.migrate.rescope_in_place`)."""
    with translated("read the index mapping"):
        mapping = client.indices.get_mapping(index=index)
    return bool(next(iter(mapping.body.values()))["mappings"].get("_meta", {}).get("workspaces"))


def _require_workspaces(client: Elasticsearch, index: str) -> None:
    if not has_workspaces(client, index):
        raise SchemaError(
            f"index {index} predates workspaces: run `earful index migrate`",
            details={"index": index, "code_version": SCHEMA_VERSION},
        )


def ensure_state_index(client: Elasticsearch, prefix: str) -> None:
    from elasticsearch import BadRequestError

    with translated("create the state index"):
        if client.indices.exists(index=state_index_name(prefix)):
            _require_workspaces(client, state_index_name(prefix))
            return
        try:
            client.indices.create(index=state_index_name(prefix), **state_index_body())
        except BadRequestError as exc:
            if "resource_already_exists_exception" not in str(exc.error):
                raise


def ensure_saved_searches_index(client: Elasticsearch, prefix: str) -> None:
    from elasticsearch import BadRequestError

    name = saved_searches_index_name(prefix)
    with translated("create the saved searches index"):
        if client.indices.exists(index=name):
            _require_workspaces(client, name)
            return
        try:
            client.indices.create(index=name, **saved_searches_index_body())
        except BadRequestError as exc:
            if "resource_already_exists_exception" not in str(exc.error):
                raise


def ensure_ready(client: Elasticsearch, prefix: str, settings: ElasticsearchSettings) -> str:
    """Template, current index and alias, state and saved searches indices: create what is missing,
    check the version.

    Returns the concrete index behind the alias. Raises SchemaError if that index is older than the
    code (run `earful index migrate`) or newer (upgrade Earful). Idempotent and safe to race.
    """
    validate_prefix(prefix)
    put_template(client, prefix)
    target = alias_target(client, prefix)
    if target is None:
        with translated("check the mentions index"):
            exists = bool(client.indices.exists(index=index_name(prefix)))
        if exists:
            raise SchemaError(
                f"index {index_name(prefix)} exists without the alias {alias_name(prefix)}: "
                "run `earful index migrate` to attach it",
                details={"index": index_name(prefix), "alias": alias_name(prefix)},
            )
        create_mentions_index(client, prefix, settings, with_alias=True)
        target = alias_target(client, prefix) or index_name(prefix)
    check_version(client, prefix, target)
    ensure_state_index(client, prefix)
    ensure_saved_searches_index(client, prefix)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m index.schema render [DIR]``: write the rendered templates."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "render" or len(args) > 2:
        print("usage: python -m index.schema render [DIR]", file=sys.stderr)
        return 2
    directory = Path(args[1]) if len(args) == 2 else TEMPLATES_DIR
    for path in render_templates(directory):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
