"""The demo site from the command line.

python -m demo.site serve [--port 8765]   # until Ctrl-C
python -m demo.site generate              # rewrite data/items.jsonl from corpus.py
python -m demo.site check                 # exit 1 if data/items.jsonl is stale
python -m demo.site summary               # counts by language, brand, type, label, site
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading

from demo.site.generate import data_path, dumps, generate, summary
from demo.site.server import DemoSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.site", description="The Earful demo site.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the site on loopback until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    commands.add_parser("generate", help="rewrite the data file from the hand-written pieces")
    commands.add_parser("check", help="fail if the data file is stale")
    commands.add_parser("summary", help="print counts of the items")
    args = parser.parse_args(argv)

    if args.command == "serve":
        with DemoSite(args.host, args.port) as site:
            print(f"demo site at {site.url} (Ctrl-C to stop)", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
        return 0
    items = generate()
    path = data_path()
    if args.command == "summary":
        print(f"{len(items)} items")
        for key, counts in summary(items).items():
            print(f"{key}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        return 0
    if args.command == "check":
        if not path.exists() or path.read_text(encoding="utf-8") != dumps(items):
            print(f"{path} is stale: run python -m demo.site generate", file=sys.stderr)
            return 1
        return 0
    path.write_text(dumps(items), encoding="utf-8")
    print(f"wrote {len(items)} items to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
