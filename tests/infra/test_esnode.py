"""The Elasticsearch provisioning module (index/esnode.py; from a checkout, infra/elasticsearch/esnode.py
runs it) and the fixtures built on it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from elasticsearch import ConnectionError as EsConnectionError
from elasticsearch import Elasticsearch

from core.settings import LocalNodeSettings


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    """A data dir the unprivileged Elasticsearch user can reach (pytest's tmp_path is 0700 under root)."""
    path = Path(tempfile.mkdtemp(prefix="earful-esnode-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _config(esnode: ModuleType, spec: Any, i: int) -> dict[str, Any]:
    rendered: dict[str, Any] = yaml.safe_load(esnode.render_config(spec, i))
    return rendered


def test_defaults_match_local_node_settings(esnode: ModuleType) -> None:
    settings = LocalNodeSettings()
    spec = esnode.ClusterSpec()
    assert (spec.version, spec.port, spec.transport_port, spec.nodes, spec.heap, spec.user) == (
        settings.version,
        settings.port,
        settings.transport_port,
        settings.nodes,
        settings.heap,
        settings.user,
    )
    assert spec.startup_timeout == settings.startup_timeout
    # Settings leave the directories unset: the script's defaults apply (under /var when root, because
    # the unprivileged user that runs Elasticsearch cannot enter /root).
    assert settings.cache_dir is None
    assert settings.data_dir is None
    expected_cache = (
        Path("/var/cache/earful/elasticsearch")
        if os.geteuid() == 0
        else (Path.home() / ".cache" / "earful" / "elasticsearch")
    )
    assert spec.cache_dir == expected_cache


def test_single_node_config(esnode: ModuleType) -> None:
    spec = esnode.ClusterSpec(data_dir=Path("/data/es"), port=9250, transport_port=9350, cluster_name="c1")
    assert _config(esnode, spec, 0) == {
        "cluster.name": "c1",
        "node.name": "node-1",
        "network.host": "127.0.0.1",
        "http.port": 9250,
        "transport.port": 9350,
        "path.data": "/data/es/node-1/data",
        "path.logs": "/data/es/node-1/logs",
        "cluster.routing.allocation.disk.threshold_enabled": False,
        "xpack.security.enabled": False,
        "discovery.type": "single-node",
    }


def test_three_node_config(esnode: ModuleType) -> None:
    spec = esnode.ClusterSpec(data_dir=Path("/d"), nodes=3, port=9200, transport_port=9300)
    configs = [_config(esnode, spec, i) for i in range(3)]
    for i, config in enumerate(configs):
        assert config["node.name"] == f"node-{i + 1}"
        assert (config["http.port"], config["transport.port"]) == (9200 + i, 9300 + i)
        assert config["path.data"] == f"/d/node-{i + 1}/data"
        assert config["discovery.seed_hosts"] == ["127.0.0.1:9300", "127.0.0.1:9301", "127.0.0.1:9302"]
        assert config["cluster.initial_master_nodes"] == ["node-1", "node-2", "node-3"]
        assert "discovery.type" not in config
        assert config["xpack.security.enabled"] is False
        assert config["cluster.routing.allocation.disk.threshold_enabled"] is False
    assert len({c["cluster.name"] for c in configs}) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"nodes": 0},
        {"nodes": 10},
        {"heap": "512"},
        {"port": 9300, "transport_port": 9300},
        {"cluster_name": "A"},
    ],
)
def test_invalid_specs_are_refused(esnode: ModuleType, kwargs: dict[str, Any]) -> None:
    with pytest.raises(esnode.EsNodeError):
        esnode.ClusterSpec(data_dir=Path("/d"), **kwargs)


def test_stop_without_a_cluster_is_a_no_op(esnode: ModuleType, scratch_dir: Path) -> None:
    assert esnode.stop_cluster(scratch_dir / "missing") == 0
    assert esnode.main(["status", "--data-dir", str(scratch_dir)]) == 3


@pytest.mark.integration
def test_es_url_is_a_healthy_8_19_cluster(es_client: Elasticsearch) -> None:
    assert es_client.cluster.health()["status"] in ("green", "yellow")
    # Not `info()`: this distribution lacks the rest-root module, so `GET /` (and `ping()`) answer 405.
    versions = {
        node["version"] for node in es_client.nodes.info(filter_path="nodes.*.version")["nodes"].values()
    }
    assert len(versions) == 1
    assert versions.pop().startswith("8.19.")


@pytest.mark.integration
def test_es_prefix_cleanup_removes_only_the_prefixed_things(
    es_client: Elasticsearch, es_prefix: str, es_cleanup: Callable[[Elasticsearch, str], None]
) -> None:
    prefix, other = f"{es_prefix}-a", f"{es_prefix}-b"
    es_client.cluster.put_component_template(name=f"{prefix}-component", template={"settings": {}})
    es_client.indices.put_index_template(
        name=f"{prefix}-template",
        index_patterns=[f"{prefix}-from-template*"],
        composed_of=[f"{prefix}-component"],
    )
    es_client.indices.create(index=f"{prefix}-from-template-1")
    es_client.indices.create(index=f"{prefix}-v1", aliases={f"{prefix}-alias": {}})
    es_client.indices.create(index=f"{other}-kept", aliases={f"{prefix}-foreign-alias": {}})

    es_cleanup(es_client, prefix)

    assert list(es_client.indices.get(index=f"{prefix}*", expand_wildcards="all")) == []
    lenient = es_client.options(ignore_status=404)
    assert lenient.indices.get_index_template(name=f"{prefix}*").get("index_templates") == []
    assert lenient.cluster.get_component_template(name=f"{prefix}*").get("component_templates") == []
    kept = es_client.indices.get(index=f"{other}-kept")
    assert kept[f"{other}-kept"]["aliases"] == {}  # its alias was ours; the index is not
    # es_prefix deletes `other` after the test.


@pytest.mark.integration
@pytest.mark.slow
def test_two_node_cluster_forms_and_stops(esnode: ModuleType, scratch_dir: Path) -> None:
    http_port, transport_port = esnode.pick_ports(2)
    spec = esnode.ClusterSpec(
        data_dir=scratch_dir,
        nodes=2,
        port=http_port,
        transport_port=transport_port,
        cluster_name="earful-pair",
    )
    try:
        state = esnode.start_cluster(spec)
        pids = state["pids"]
        assert len(set(pids)) == 2
        assert all(esnode.pid_alive(pid) for pid in pids)
        for url in state["urls"]:
            with Elasticsearch(url) as client:
                assert client.cluster.health()["number_of_nodes"] == 2
    finally:
        stopped = esnode.stop_cluster(scratch_dir)
    assert stopped == 2
    assert not any(esnode.pid_alive(pid) for pid in pids)
    assert esnode.cluster_status(scratch_dir)["running"] is False


@pytest.mark.integration
@pytest.mark.slow
def test_private_node_keeps_its_data_across_a_restart(es_node_factory: Callable[[], Any]) -> None:
    node = es_node_factory()
    with Elasticsearch(node.url) as client:
        client.index(index="survivor", id="1", document={"text": "still here"}, refresh=True)
    node.stop()
    with (
        Elasticsearch(node.url, request_timeout=2, max_retries=0) as client,
        pytest.raises(EsConnectionError),
    ):
        client.info()
    node.start()
    with Elasticsearch(node.url) as client:
        assert client.get(index="survivor", id="1")["_source"] == {"text": "still here"}
