#!/usr/bin/env python3
"""Provision a local Elasticsearch for development and tests: one node, or N nodes forming one cluster.

    python infra/elasticsearch/esnode.py start|stop|status [--nodes N] [--port P] [--transport-port P]
        [--heap 512m] [--data-dir DIR] [--version V] [--cache-dir DIR] [--user U] [--fresh]

Standard library only, so any python3 runs it (CI before the virtual environment exists, `earful es`).
The distribution is Maven Central's `integ-test-zip` (no bundled JDK, no analysis-common, no ILM, x-pack
security present and switched off here). It is unpacked once per version into the cache directory and
never modified: each node gets a copy of its `config/` (Elasticsearch writes a keystore there) plus its
own data, logs and temp directories under ``<data-dir>/<node-name>/``. ``<data-dir>/cluster.json``
records version, URLs and pids. Elasticsearch refuses to run as root, so root runs it as an unprivileged
system user (created when missing); root's default directories are under /var, since that user cannot
enter /root.

The same functions back the pytest fixtures (tests/conftest.py): `start_cluster`, `stop_cluster`,
`cluster_status`, `pick_ports`, `render_config`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Keep these equal to core/settings.py LocalNodeSettings (a test checks it): this file cannot import it.
DEFAULT_VERSION = "8.19.7"
DEFAULT_PORT = 9200
DEFAULT_TRANSPORT_PORT = 9300
DEFAULT_NODES = 1
DEFAULT_HEAP = "512m"
DEFAULT_USER = "earful-es"
DEFAULT_STARTUP_TIMEOUT = 120.0
DEFAULT_CLUSTER_NAME = "earful"
STOP_TIMEOUT = 30.0

STATE_FILE = "cluster.json"
PID_FILE = "es.pid"
ARTIFACT = "org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip"
ES_MAIN_CLASS = "org.elasticsearch.bootstrap.Elasticsearch"

Log = Callable[[str], None]


class EsNodeError(Exception):
    """Provisioning failed; the message says what to do about it."""


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def default_cache_dir() -> Path:
    """~/.cache/earful/elasticsearch, or /var/cache/... for root (the node's user cannot enter /root)."""
    if is_root():
        return Path("/var/cache/earful/elasticsearch")
    return Path.home() / ".cache" / "earful" / "elasticsearch"


def default_data_dir() -> Path:
    """~/.local/share/earful/elasticsearch, or /var/lib/earful/elasticsearch for root."""
    if is_root():
        return Path("/var/lib/earful/elasticsearch")
    return Path.home() / ".local" / "share" / "earful" / "elasticsearch"


# --- what to run -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterSpec:
    """A cluster of `nodes` nodes on 127.0.0.1; node i listens on port+i and transport_port+i."""

    data_dir: Path = field(default_factory=default_data_dir)
    version: str = DEFAULT_VERSION
    nodes: int = DEFAULT_NODES
    port: int = DEFAULT_PORT
    transport_port: int = DEFAULT_TRANSPORT_PORT
    heap: str = DEFAULT_HEAP
    cache_dir: Path = field(default_factory=default_cache_dir)
    user: str = DEFAULT_USER
    cluster_name: str = DEFAULT_CLUSTER_NAME
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT

    def __post_init__(self) -> None:
        if not 1 <= self.nodes <= 9:
            raise EsNodeError(f"--nodes must be between 1 and 9, not {self.nodes}")
        if not re.fullmatch(r"[1-9][0-9]*[kmgKMG]", self.heap):
            raise EsNodeError(f"--heap must look like 512m or 1g, not {self.heap!r}")
        http = set(range(self.port, self.port + self.nodes))
        transport = set(range(self.transport_port, self.transport_port + self.nodes))
        if http & transport or max(http | transport) > 65535 or min(http | transport) < 1:
            raise EsNodeError("HTTP and transport port ranges must be valid and must not overlap")
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.cluster_name):
            raise EsNodeError(
                f"cluster name must be lowercase letters, digits, - or _: {self.cluster_name!r}"
            )

    def node_name(self, i: int) -> str:
        return f"node-{i + 1}"

    def node_dir(self, i: int) -> Path:
        return self.data_dir / self.node_name(i)

    def url(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.port + i}"

    @property
    def es_home(self) -> Path:
        return self.cache_dir / self.version


def render_config(spec: ClusterSpec, i: int) -> str:
    """elasticsearch.yml of node i. Values are JSON, which YAML reads as the same scalars and lists."""
    node_dir = spec.node_dir(i)
    settings: dict[str, Any] = {
        "cluster.name": spec.cluster_name,
        "node.name": spec.node_name(i),
        "network.host": "127.0.0.1",
        "http.port": spec.port + i,
        "transport.port": spec.transport_port + i,
        "path.data": str(node_dir / "data"),
        "path.logs": str(node_dir / "logs"),
        # A laptop disk at 90 % must not turn indices read-only in the middle of a test run.
        "cluster.routing.allocation.disk.threshold_enabled": False,
        # This distribution ships x-pack security; a local loopback node runs without it.
        "xpack.security.enabled": False,
    }
    if spec.nodes == 1:
        settings["discovery.type"] = "single-node"
    else:
        settings["discovery.seed_hosts"] = [f"127.0.0.1:{spec.transport_port + j}" for j in range(spec.nodes)]
        # Read only when the cluster first forms; Elasticsearch ignores it once it has a cluster UUID.
        settings["cluster.initial_master_nodes"] = [spec.node_name(j) for j in range(spec.nodes)]
    lines = ["# Written by infra/elasticsearch/esnode.py at every start: edit the script, not this file."]
    lines += [f"{key}: {json.dumps(value)}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


# --- tools: java, maven, the distribution -----------------------------------------------------------
def _run(cmd: Sequence[str], what: str, timeout: float = 900) -> str:
    try:
        proc = subprocess.run(list(cmd), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EsNodeError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip().splitlines()[-30:]
        raise EsNodeError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(output))
    return proc.stdout + proc.stderr


def _apt_install(packages: Sequence[str], log: Log) -> None:
    if not is_root() or shutil.which("apt-get") is None:
        raise EsNodeError(
            f"missing {', '.join(packages)}: install them (Debian/Ubuntu: apt-get install"
            f" {' '.join(packages)}) or run this script as root to let it install them"
        )
    log(f"installing {' '.join(packages)} with apt-get")
    env_cmd = ["env", "DEBIAN_FRONTEND=noninteractive"]
    _run([*env_cmd, "apt-get", "update", "-q"], "apt-get update")
    _run([*env_cmd, "apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], "apt-get")


def _java_major(java_home: Path) -> int:
    out = _run([str(java_home / "bin" / "java"), "-version"], "java -version", timeout=60)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        raise EsNodeError(f"cannot read the Java version from: {out.strip()}")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def find_java_home(version: str, log: Log = _stderr) -> Path:
    """ES_JAVA_HOME or JAVA_HOME, else the JDK behind `java` on PATH (installed with apt as root)."""
    needed = 21 if int(version.split(".")[0]) >= 9 else 17
    candidates = [os.environ.get("ES_JAVA_HOME"), os.environ.get("JAVA_HOME")]
    home = next((Path(c) for c in candidates if c and (Path(c) / "bin" / "java").is_file()), None)
    if home is None:
        java = shutil.which("java")
        if java is None:
            _apt_install([f"openjdk-{needed}-jre-headless"], log)
            java = shutil.which("java")
        if java is None:
            raise EsNodeError("java is still not on PATH after installing it")
        home = Path(java).resolve().parents[1]
    major = _java_major(home)
    if major < needed:
        raise EsNodeError(
            f"Elasticsearch {version} needs Java {needed}+; {home} is {major}: set ES_JAVA_HOME"
        )
    return home


def _download(version: str, into: Path, log: Log) -> Path:
    if shutil.which("mvn") is None:
        _apt_install(["maven"], log)
    log(f"fetching Elasticsearch {version} from Maven Central")
    artifact = ARTIFACT.format(version=version)
    _run(
        [
            "mvn",
            "-q",
            "-B",
            "-Dstyle.color=never",
            "dependency:copy",
            f"-Dartifact={artifact}",
            f"-DoutputDirectory={into}",
            "-Dtransitive=false",
        ],
        f"mvn dependency:copy {artifact}",
    )
    zips = sorted(into.glob("*.zip"))
    if not zips:
        raise EsNodeError(f"Maven reported success but left no zip in {into}")
    return zips[0]


def _extract(archive: Path, dest: Path) -> None:
    """Unzip keeping the Unix modes (zipfile drops them, and bin/ must stay executable)."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            target = Path(zf.extract(info, dest))
            mode = (info.external_attr >> 16) & 0o7777
            if mode:
                target.chmod(mode)


def ensure_distribution(version: str, cache_dir: Path, log: Log = _stderr) -> Path:
    """The unpacked distribution, fetched and unpacked on first use. Safe against concurrent first uses."""
    home = cache_dir / version
    if (home / "bin" / "elasticsearch").is_file():
        return home
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{version}-", dir=cache_dir) as tmp:
        archive = _download(version, Path(tmp) / "zip", log)
        log(f"unpacking {archive.name} into {home}")
        _extract(archive, Path(tmp) / "unpacked")
        (top,) = (Path(tmp) / "unpacked").iterdir()
        try:
            top.rename(home)
        except OSError:
            if not (home / "bin" / "elasticsearch").is_file():  # else another process won the race
                raise
    for path in (cache_dir, home):  # the unprivileged user must read the distribution
        path.chmod(path.stat().st_mode | 0o755)
    return home


# --- the unprivileged user ------------------------------------------------------------------------
def ensure_user(name: str, log: Log = _stderr) -> tuple[int, int] | None:
    """uid and gid of the user that runs Elasticsearch when root starts it; None when not root."""
    if not is_root():
        return None
    import pwd  # Unix only, like the rest of this script

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        log(f"creating system user {name} to run Elasticsearch (it refuses to run as root)")
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], "useradd")
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _as_user(user: str, argv: Sequence[str]) -> list[str]:
    if not is_root():
        return list(argv)
    if shutil.which("runuser"):
        return ["runuser", "-u", user, "--", *argv]
    return ["su", "-s", "/bin/bash", user, "-c", shlex.join(argv)]


def _chown_tree(root: Path, ids: tuple[int, int]) -> None:
    os.chown(root, *ids)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), *ids, follow_symlinks=False)


def _check_reachable(user: str, paths: Iterable[Path]) -> None:
    for path in paths:
        probe = subprocess.run(_as_user(user, ["test", "-r", str(path), "-a", "-x", str(path)]), check=False)
        if probe.returncode != 0:
            raise EsNodeError(
                f"user {user} cannot reach {path}: a parent directory is closed to it (/root is 0700)."
                " Use --cache-dir and --data-dir outside /root, for example under /var or /tmp"
            )


# --- processes and HTTP -----------------------------------------------------------------------------
def pid_alive(pid: int | None) -> bool:
    """True while the process runs. A zombie counts as dead: in containers nobody may reap it."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (macOS): trust kill(0)
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_our_node(pid: int, node_dir: Path) -> bool:
    """The pid is an Elasticsearch server working in this node's logs dir (pids get reused)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except FileNotFoundError:
        return False
    except OSError:
        return pid_alive(pid)  # no /proc or no permission: trust the pidfile
    main_class = any(arg.endswith(ES_MAIN_CLASS.encode()) for arg in cmdline)
    return main_class and cwd == (node_dir / "logs").resolve()


def _read_pid(node_dir: Path) -> int | None:
    try:
        return int((node_dir / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def node_pid(node_dir: Path) -> int | None:
    """Pid of the server running from node_dir, or None."""
    pid = _read_pid(node_dir)
    return pid if pid and pid_alive(pid) and _is_our_node(pid, node_dir) else None


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same flag as Elasticsearch: a port in TIME_WAIT is free, a listening one is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(nodes: int = 1, low: int = 20000, high: int = 32000) -> tuple[int, int]:
    """(http_port, transport_port) with `nodes` free ports after each, below Linux's ephemeral range."""
    import random

    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(low, high - 2 * nodes)
        if all(port_free(p) for p in range(base, base + 2 * nodes)):
            return base, base + nodes
    raise EsNodeError(f"no {2 * nodes} consecutive free ports between {low} and {high}")


def http_json(url: str, timeout: float = 5.0) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        body: dict[str, Any] = json.load(resp)
    return body


def _log_tail(node_dir: Path, cluster_name: str, lines: int = 30) -> str:
    """The launcher's console (it echoes the log until the node detaches), else the node's own log."""
    for path in (node_dir / "launcher.log", node_dir / "logs" / f"{cluster_name}.log"):
        try:
            text = path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            continue
        if text:
            return f"--- {path} (last {len(text)} lines) ---\n" + "\n".join(text)
    return f"(no log in {node_dir})"


def wait_for_health(spec: ClusterSpec, deadline: float, pids: dict[int, int]) -> dict[str, Any]:
    """Cluster health once every node joined and every primary shard is active.

    Yellow is accepted: it means only replicas are unassigned (always the case on one node for an index
    created with replicas), and data is fully usable. A fresh cluster is green.
    """
    query = f"wait_for_status=yellow&wait_for_nodes={spec.nodes}&wait_for_no_initializing_shards=true"
    last_error = "no answer yet"
    while True:
        for i, pid in pids.items():
            if not pid_alive(pid):
                tail = _log_tail(spec.node_dir(i), spec.cluster_name)
                raise EsNodeError(f"{spec.node_name(i)} exited while starting\n{tail}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EsNodeError(f"cluster not healthy after {spec.startup_timeout:.0f} s ({last_error})")
        wait = max(1, min(10, int(remaining)))
        try:
            health = http_json(f"{spec.url()}/_cluster/health?{query}&timeout={wait}s", timeout=wait + 5)
            if not health.get("timed_out") and health.get("status") in ("green", "yellow"):
                return health
            last_error = f"status {health.get('status')}, {health.get('number_of_nodes')} nodes"
        except urllib.error.HTTPError as exc:  # 408 while waiting, 503 while no master is elected
            last_error = f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            last_error = str(exc)
        time.sleep(0.5)


# --- state ------------------------------------------------------------------------------------------
def read_state(data_dir: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads((data_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state


def _write_state(spec: ClusterSpec, pids: Mapping[int, int | None]) -> dict[str, Any]:
    state = {
        "version": spec.version,
        "cluster_name": spec.cluster_name,
        "data_dir": str(spec.data_dir),
        "es_home": str(spec.es_home),
        "user": spec.user if is_root() else None,
        "urls": [spec.url(i) for i in range(spec.nodes)],
        "pids": [pids.get(i) for i in range(spec.nodes)],
        "nodes": [
            {
                "name": spec.node_name(i),
                "url": spec.url(i),
                "http_port": spec.port + i,
                "transport_port": spec.transport_port + i,
                "dir": str(spec.node_dir(i)),
                "pid": pids.get(i),
            }
            for i in range(spec.nodes)
        ],
    }
    tmp = spec.data_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(spec.data_dir / STATE_FILE)
    return state


def _node_dirs(data_dir: Path) -> list[Path]:
    state = read_state(data_dir)
    if state:
        return [Path(n["dir"]) for n in state.get("nodes", [])]
    return sorted(p for p in data_dir.glob("node-*") if p.is_dir())


# --- start, stop, status ----------------------------------------------------------------------------
def _prepare_node(spec: ClusterSpec, i: int, ids: tuple[int, int] | None) -> None:
    node_dir = spec.node_dir(i)
    if not (node_dir / "config").is_dir():
        shutil.copytree(spec.es_home / "config", node_dir / "config")
    for sub in ("data", "logs", "tmp"):
        (node_dir / sub).mkdir(parents=True, exist_ok=True)
    (node_dir / "config" / "elasticsearch.yml").write_text(render_config(spec, i))
    (node_dir / PID_FILE).unlink(missing_ok=True)  # stale: the node is not running
    if ids:
        _chown_tree(node_dir, ids)


def _launch(spec: ClusterSpec, i: int, java_home: Path) -> subprocess.Popen[bytes]:
    node_dir = spec.node_dir(i)
    env_vars = {
        "ES_JAVA_HOME": str(java_home),
        "ES_PATH_CONF": str(node_dir / "config"),
        "ES_JAVA_OPTS": f"-Xms{spec.heap} -Xmx{spec.heap}",
        "ES_TMPDIR": str(node_dir / "tmp"),
    }
    argv = [
        "env",
        *(f"{k}={v}" for k, v in env_vars.items()),
        str(spec.es_home / "bin" / "elasticsearch"),
        "-d",
        "-p",
        str(node_dir / PID_FILE),
    ]
    # A file, not a pipe: the daemonized server could inherit a pipe and keep it open for its lifetime.
    with open(node_dir / "launcher.log", "wb") as out:
        return subprocess.Popen(
            _as_user(spec.user, argv),
            cwd=node_dir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Its own process group: the daemon ignores the terminal's Ctrl-C, and a failed start can kill
            # the launcher, its JVM and the half-started server together.
            start_new_session=True,
        )


def _group_alive(pgid: int) -> bool:
    try:
        procs = [p for p in Path("/proc").iterdir() if p.name.isdigit()]
    except OSError:
        procs = []
    if not procs:  # no /proc: ask the kernel (counts zombies too)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for proc in procs:
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _kill_group(pgid: int, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL, everything one launch started (see _launch)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while _group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if not _group_alive(pgid):
            return


def start_cluster(spec: ClusterSpec, *, fresh: bool = False, log: Log = _stderr) -> dict[str, Any]:
    """Start the nodes of `spec` that are not running, wait until the cluster is healthy; return the state.

    Starting a running cluster is a no-op; starting after `stop_cluster` reuses the data. On failure every
    node this call launched is stopped again and EsNodeError carries the log tail.
    """
    began = time.monotonic()
    deadline = began + spec.startup_timeout
    if fresh:
        wipe(spec.data_dir, log=log)
    state = read_state(spec.data_dir)
    if state and len(state.get("nodes", [])) != spec.nodes:
        raise EsNodeError(
            f"{spec.data_dir} holds a {len(state['nodes'])}-node cluster, not {spec.nodes}:"
            " stop it and start with --fresh"
        )
    java_home = find_java_home(spec.version, log)
    ensure_distribution(spec.version, spec.cache_dir, log)
    ids = ensure_user(spec.user, log)
    spec.data_dir.mkdir(parents=True, exist_ok=True)
    if ids:
        os.chown(spec.data_dir, *ids)
        _check_reachable(spec.user, [spec.es_home / "bin", spec.es_home / "lib", spec.data_dir])

    running = {i: pid for i in range(spec.nodes) if (pid := node_pid(spec.node_dir(i)))}
    for i in running:
        recorded = state["nodes"][i]["http_port"] if state else None
        if recorded != spec.port + i:
            raise EsNodeError(f"{spec.node_name(i)} already runs on port {recorded}; stop it first")
    to_start = [i for i in range(spec.nodes) if i not in running]
    busy = [p for i in to_start for p in (spec.port + i, spec.transport_port + i) if not port_free(p)]
    if busy:
        raise EsNodeError(f"ports already in use on 127.0.0.1: {busy} (another Elasticsearch?)")

    for i in to_start:
        _prepare_node(spec, i, ids)
    _write_state(spec, dict(running))
    if to_start:
        log(f"starting {len(to_start)} node(s) of Elasticsearch {spec.version} in {spec.data_dir}")
    launchers = {i: _launch(spec, i, java_home) for i in to_start}
    pids = dict(running)
    try:
        # `-d` returns once the node started (or failed); nodes launch together because each waits
        # for the others to elect a master.
        for i, proc in launchers.items():
            try:
                code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise EsNodeError(
                    f"{spec.node_name(i)} not started after {spec.startup_timeout:.0f} s"
                ) from None
            pid = node_pid(spec.node_dir(i))
            if code != 0 or pid is None:
                raise EsNodeError(
                    f"{spec.node_name(i)} failed to start (exit {code})\n"
                    + _log_tail(spec.node_dir(i), spec.cluster_name)
                )
            pids[i] = pid
        health = wait_for_health(spec, deadline, pids)
    except BaseException:
        _stop_dirs([spec.node_dir(i) for i in to_start], STOP_TIMEOUT, log)
        for proc in launchers.values():
            _kill_group(proc.pid)
            proc.wait()
        raise
    state = _write_state(spec, pids)
    log(
        f"Elasticsearch {spec.version} is {health['status']} with {health['number_of_nodes']} node(s)"
        f" after {time.monotonic() - began:.1f} s: {', '.join(state['urls'])}"
    )
    if health["status"] != "green":
        log(
            f"  {health.get('unassigned_shards')} replica shard(s) unassigned (indices with more replicas"
            " than nodes allow)"
        )
    return state


def _stop_dirs(node_dirs: Sequence[Path], timeout: float, log: Log) -> list[Path]:
    """SIGTERM every node, wait, SIGKILL what is left. Returns the dirs of the nodes that were running."""
    pids = {d: pid for d in node_dirs if (pid := node_pid(d))}
    for pid in pids.values():
        try:
            os.kill(pid, signal.SIGTERM)
        except PermissionError:
            raise EsNodeError(f"no permission to stop pid {pid}: run this as its owner") from None
    deadline = time.monotonic() + timeout
    while any(pid_alive(p) for p in pids.values()) and time.monotonic() < deadline:
        time.sleep(0.2)
    for node_dir, pid in pids.items():
        if pid_alive(pid):
            log(f"{node_dir.name} (pid {pid}) ignored SIGTERM for {timeout:.0f} s: killing it")
            os.kill(pid, signal.SIGKILL)
            kill_deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < kill_deadline:
                time.sleep(0.1)
            if pid_alive(pid):
                raise EsNodeError(f"pid {pid} survived SIGKILL")
        (node_dir / PID_FILE).unlink(missing_ok=True)
    return list(pids)


def stop_cluster(data_dir: Path, *, timeout: float = STOP_TIMEOUT, log: Log = _stderr) -> int:
    """Stop every node recorded in data_dir; returns how many were running. Idempotent."""
    if not data_dir.is_dir():
        return 0
    stopped = _stop_dirs(_node_dirs(data_dir), timeout, log)
    state = read_state(data_dir)
    if state:
        for node in state["nodes"]:
            node["pid"] = None
        state["pids"] = [None] * len(state["nodes"])
        (data_dir / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")
    if stopped:
        log(f"stopped {len(stopped)} node(s) in {data_dir}")
    return len(stopped)


def stop_node(spec: ClusterSpec, i: int, *, timeout: float = STOP_TIMEOUT, log: Log = _stderr) -> bool:
    """Stop node i alone (node-loss tests); `start_cluster(spec)` brings it back. True if it was running."""
    return bool(_stop_dirs([spec.node_dir(i)], timeout, log))


def wipe(data_dir: Path, *, log: Log = _stderr) -> None:
    """Stop the cluster and delete its nodes' data (only what this script created there)."""
    if not data_dir.is_dir():
        return
    stop_cluster(data_dir, log=log)
    for node_dir in set(_node_dirs(data_dir)) | set(data_dir.glob("node-*")):
        shutil.rmtree(node_dir, ignore_errors=True)
    (data_dir / STATE_FILE).unlink(missing_ok=True)


def cluster_status(data_dir: Path) -> dict[str, Any]:
    """Per node: pid (None when stopped) and whether its HTTP port answers; plus the cluster health."""
    state = read_state(data_dir)
    if state is None:
        return {"data_dir": str(data_dir), "running": False, "nodes": [], "health": None}
    nodes = []
    health: dict[str, Any] | None = None
    for node in state["nodes"]:
        pid = node_pid(Path(node["dir"]))
        entry = {"name": node["name"], "url": node["url"], "pid": pid, "health": None}
        if pid:
            try:
                entry["health"] = health = http_json(f"{node['url']}/_cluster/health", timeout=5)
            except (OSError, ValueError) as exc:
                entry["health"] = {"error": str(exc)}
        nodes.append(entry)
    running = bool(nodes) and all(n["pid"] and "status" in (n["health"] or {}) for n in nodes)
    return {
        "data_dir": str(data_dir),
        "version": state.get("version"),
        "running": running,
        "nodes": nodes,
        "health": health,
    }


# --- command line ---------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"data, logs and cluster.json (default {default_data_dir()})",
    )
    common.add_argument("--nodes", type=int, default=DEFAULT_NODES, help="nodes forming one cluster")
    common.add_argument("--port", type=int, default=DEFAULT_PORT, help="HTTP port of the first node")
    common.add_argument(
        "--transport-port", type=int, default=DEFAULT_TRANSPORT_PORT, help="transport port of the first node"
    )
    common.add_argument("--heap", default=DEFAULT_HEAP, help="JVM heap of each node (-Xms and -Xmx)")
    common.add_argument("--version", default=DEFAULT_VERSION, help="Elasticsearch version")
    common.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help=f"where distributions are unpacked (default {default_cache_dir()})",
    )
    common.add_argument(
        "--user", default=DEFAULT_USER, help="user that runs Elasticsearch when root starts it"
    )
    common.add_argument("--cluster-name", default=DEFAULT_CLUSTER_NAME, help="cluster.name")
    common.add_argument(
        "--startup-timeout",
        type=float,
        default=DEFAULT_STARTUP_TIMEOUT,
        help="seconds to wait for a healthy cluster",
    )
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="action", required=True)
    start = sub.add_parser("start", parents=[common], help="start the cluster and wait until it is healthy")
    start.add_argument("--fresh", action="store_true", help="delete the nodes' data before starting")
    stop = sub.add_parser("stop", parents=[common], help="stop every node (SIGTERM, then SIGKILL)")
    stop.add_argument("--timeout", type=float, default=STOP_TIMEOUT, help="seconds before SIGKILL")
    status = sub.add_parser("status", parents=[common], help="pid and health of every node; exit 3 if down")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so a start that is cut short stops the nodes it launched.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    data_dir: Path = (args.data_dir or default_data_dir()).expanduser().absolute()
    try:
        if args.action == "start":
            spec = ClusterSpec(
                data_dir=data_dir,
                version=args.version,
                nodes=args.nodes,
                port=args.port,
                transport_port=args.transport_port,
                heap=args.heap,
                cache_dir=(args.cache_dir or default_cache_dir()).expanduser().absolute(),
                user=args.user,
                cluster_name=args.cluster_name,
                startup_timeout=args.startup_timeout,
            )
            state = start_cluster(spec, fresh=args.fresh)
            print("\n".join(state["urls"]))
            return 0
        if args.action == "stop":
            stop_cluster(data_dir, timeout=args.timeout)
            return 0
        report = cluster_status(data_dir)
        if args.json:
            print(json.dumps(report, indent=2))
        elif not report["nodes"]:
            print(f"no cluster in {data_dir}")
        else:
            for node in report["nodes"]:
                health = node["health"] or {}
                running = f"pid {node['pid']}" if node["pid"] else "stopped"
                detail = health.get("status") or health.get("error") or "-"
                print(f"{node['name']}  {node['url']}  {running}  {detail}")
        return 0 if report["running"] else 3
    except EsNodeError as exc:
        _stderr(f"esnode: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
