"""What the benchmarks that need Elasticsearch share: `--es-url` and a throwaway node when none is given.

Import after the script has put the repository root on sys.path (the benchmarks run as plain scripts).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def add_es_url_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--es-url",
        default=os.environ.get("EARFUL_TEST_ES_URL"),
        help="Elasticsearch URL (default: EARFUL_TEST_ES_URL, else a throwaway node)",
    )


@contextmanager
def elasticsearch_url(url: str | None, heap: str | None = None) -> Iterator[str]:
    """`url` as given, else the URL of a single throwaway node (esnode's default heap unless `heap`),
    stopped and deleted on exit."""
    if url:
        yield url.rstrip("/")
        return
    from index import esnode  # the provisioning module (infra/elasticsearch/esnode.py runs it too)

    data_dir = Path(tempfile.mkdtemp(prefix="earful-bench-"))
    http_port, transport_port = esnode.pick_ports(1)
    extra: dict[str, Any] = {"heap": heap} if heap else {}
    spec = esnode.ClusterSpec(
        data_dir=data_dir, port=http_port, transport_port=transport_port, cluster_name="earful-bench", **extra
    )
    sized = f" ({heap} heap)" if heap else ""
    print(f"starting a throwaway Elasticsearch node{sized} in {data_dir} ...", file=sys.stderr)
    try:
        esnode.start_cluster(spec)
        yield spec.url()
    finally:
        esnode.stop_cluster(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
