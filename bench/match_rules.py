"""Alert-rule matching: Earful's in-process `RuleSet` against Elasticsearch running the same rules.

    .venv/bin/python bench/match_rules.py [--rules 10000] [--mentions 20000] [--es-url URL]

In one run, on the same deterministic rules and mentions (bench/rules_corpus.py, English and Chinese):

(a) the matcher: every rule added to one `RuleSet`, then `match` over batches of 500 mentions, in one
    Python thread (one core);
(b) the reference in Elasticsearch. The percolator (the usual way to run stored queries) is not in this
    distribution (the check below prints the error), so the mentions are indexed with the query-language
    fields (`es_properties` / `es_values`) and every rule runs as a search (`compile_es`, constant score,
    only ids, every hit): the same rule -> mentions relation a percolator computes, measured as searches.

The hits of (a) and (b) must be identical (the mismatch count is printed). When the rules would take
more than --es-budget seconds in Elasticsearch, only a fixed random sample (--es-sample rules) runs
there; identity is checked on that sample and the Elasticsearch throughput for all rules is
extrapolated (and labelled so). The last line is ``ratio_vs_es_search=<a/b>``.
Without --es-url (or EARFUL_TEST_ES_URL) a throwaway node is started and stopped after.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from elasticsearch import ApiError, Elasticsearch, helpers  # noqa: E402

from bench._support import add_es_url_argument, elasticsearch_url  # noqa: E402
from bench.rules_corpus import make_mentions, make_rules  # noqa: E402
from core.models import EnrichedMention  # noqa: E402
from index.query import RuleSet, parse  # noqa: E402
from index.query.to_es import compile_es, es_properties, es_values  # noqa: E402

BATCH = 500
MSEARCH_CHUNK = 25


def run_matcher(
    rules: list[str], mentions: list[EnrichedMention]
) -> tuple[dict[str, set[str]], float, float]:
    """rule id -> matched mention ids, seconds to add the rules, seconds to match every batch."""
    ruleset = RuleSet()
    began = time.perf_counter()
    for i, rule in enumerate(rules):
        ruleset.add(str(i), rule)
    added = time.perf_counter() - began
    hits: dict[str, set[str]] = {str(i): set() for i in range(len(rules))}
    began = time.perf_counter()
    for start in range(0, len(mentions), BATCH):
        batch = mentions[start : start + BATCH]
        for mention, found in zip(batch, ruleset.match(batch), strict=True):
            for match in found:
                hits[match.rule_id].add(mention.id)
    return hits, added, time.perf_counter() - began


# --- (b) Elasticsearch -----------------------------------------------------------------------------
def check_percolator(client: Elasticsearch, index: str) -> None:
    try:
        client.indices.create(index=index, mappings={"properties": {"query": {"type": "percolator"}}})
        print("percolator: available (unexpected in this distribution); the reference still uses searches")
    except ApiError as exc:
        reason = exc.body.get("error", {}).get("reason") if isinstance(exc.body, dict) else exc.message
        print(f"percolator: not available: HTTP {exc.meta.status}: {reason}")
    finally:
        client.options(ignore_status=404).indices.delete(index=index)


def index_mentions(client: Elasticsearch, index: str, mentions: list[EnrichedMention]) -> float:
    client.indices.create(
        index=index,
        settings={"number_of_shards": 1, "number_of_replicas": 0, "max_result_window": len(mentions) + 1},
        mappings={
            "dynamic": False,
            "properties": {"ql": {"properties": es_properties()}, "rating": {"type": "double"}},
        },
    )
    began = time.perf_counter()
    actions = (
        {"_index": index, "_id": m.id, "_source": {"ql": es_values(m), "rating": m.rating}} for m in mentions
    )
    helpers.bulk(client.options(request_timeout=300), actions, chunk_size=1000)
    client.indices.refresh(index=index)
    client.options(request_timeout=600).indices.forcemerge(index=index, max_num_segments=1)
    return time.perf_counter() - began


def run_es(
    client: Elasticsearch, index: str, rules: list[str], rule_ids: list[int], size: int
) -> tuple[dict[str, set[str]], float]:
    """rule id -> hit ids for the given rules (msearch in chunks), and the seconds spent in the calls."""
    compiled = {i: compile_es(parse(rules[i])) for i in rule_ids}  # compiling is not Elasticsearch's time
    hits: dict[str, set[str]] = {}
    spent = 0.0
    for start in range(0, len(rule_ids), MSEARCH_CHUNK):
        chunk = rule_ids[start : start + MSEARCH_CHUNK]
        searches: list[dict[str, Any]] = []
        for i in chunk:
            searches.append({"index": index})
            searches.append(
                {
                    "query": {"constant_score": {"filter": compiled[i]}},
                    "size": size,
                    "_source": False,
                    "sort": ["_doc"],
                    "track_total_hits": True,
                }
            )
        began = time.perf_counter()
        response = client.options(request_timeout=600).msearch(searches=searches)
        spent += time.perf_counter() - began
        for i, result in zip(chunk, response["responses"], strict=True):
            if "error" in result:
                raise SystemExit(f"rule {i} ({rules[i]!r}) failed in Elasticsearch: {result['error']}")
            ids = {hit["_id"] for hit in result["hits"]["hits"]}
            if len(ids) != result["hits"]["total"]["value"]:
                raise SystemExit(f"rule {i}: fetched {len(ids)} of {result['hits']['total']['value']} hits")
            hits[str(i)] = ids
    return hits, spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--mentions", type=int, default=20_000)
    add_es_url_argument(parser)
    parser.add_argument("--prefix", default="earful", help="Index prefix: the index is <prefix>-bench-...")
    parser.add_argument("--es-budget", type=float, default=180.0, help="Seconds for all rules in ES")
    parser.add_argument("--es-sample", type=int, default=1000, help="Rules measured first (fixed sample)")
    args = parser.parse_args(argv)

    rules = make_rules(args.rules)
    mentions = make_mentions(args.mentions)
    en = sum(1 for m in mentions if m.lang == "en")
    print(f"rules: {len(rules)}; mentions: {len(mentions)} ({en} English, {len(mentions) - en} Chinese)")

    hits_a, add_s, match_s = run_matcher(rules, mentions)
    matched = sum(len(v) for v in hits_a.values())
    rate_a = len(mentions) / match_s
    print(f"(a) matcher: added {len(rules)} rules in {add_s:.2f} s")
    print(
        f"(a) matcher: {len(mentions)} mentions in batches of {BATCH} in {match_s:.2f} s: "
        f"{rate_a:,.0f} mentions/s ({matched} rule hits)"
    )
    print("    single core: the matcher runs in one Python thread (no worker processes or threads)")

    with elasticsearch_url(args.es_url) as url:
        client = Elasticsearch(url, request_timeout=120)
        index = f"{args.prefix}-bench-match-rules-{os.getpid()}"
        try:
            print(f"elasticsearch: {url} (cluster {client.cluster.health()['cluster_name']}), index {index}")
            check_percolator(client, f"{index}-percolator-check")
            index_s = index_mentions(client, index, mentions)
            print(f"(b) indexed {len(mentions)} mentions in {index_s:.1f} s (not counted below)")
            order = list(range(len(rules)))
            random.Random(5).shuffle(order)
            sample = order[: min(args.es_sample, len(order))]
            hits_b, es_s = run_es(client, index, rules, sample, len(mentions))
            projected = es_s * len(rules) / len(sample)
            if len(sample) < len(rules) and projected <= args.es_budget:
                more, more_s = run_es(client, index, rules, order[len(sample) :], len(mentions))
                hits_b.update(more)
                es_s += more_s
                sample = order
            measured = len(sample)
        finally:
            client.options(ignore_status=404).indices.delete(index=index)
            client.close()

    mismatches = [i for i in map(str, sample) if hits_a[i] != hits_b[i]]
    print(f"identity: {measured} rules compared, mismatches={len(mismatches)}")
    for i in mismatches[:10]:
        only_a, only_b = hits_a[i] - hits_b[i], hits_b[i] - hits_a[i]
        print(f"  rule {i} {rules[int(i)]!r}: matcher only {len(only_a)}, Elasticsearch only {len(only_b)}")
    if measured == len(rules):
        es_total = es_s
        print(f"(b) Elasticsearch searches: all {len(rules)} rules in {es_total:.1f} s")
    else:
        es_total = es_s * len(rules) / measured
        print(
            f"(b) Elasticsearch searches: {measured} of {len(rules)} rules (fixed random sample) "
            f"in {es_s:.1f} s; EXTRAPOLATED to all rules: {es_total:.1f} s"
        )
    rate_b = len(mentions) / es_total
    label = "" if measured == len(rules) else " (extrapolated from the sample)"
    print(f"(b) Elasticsearch: {rate_b:,.1f} mentions/s{label} (percolator unavailable: one search per rule)")
    with_index = len(mentions) / (es_total + index_s)
    print(f"(b) Elasticsearch counting the indexing of the mentions too: {with_index:,.1f} mentions/s{label}")
    print("    (Elasticsearch uses every core of its node; the matcher one Python thread)")
    print(f"(a) matcher: {rate_a:,.0f} mentions/s")
    print(f"ratio_vs_es_search={rate_a / rate_b:.1f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
