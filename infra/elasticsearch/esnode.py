#!/usr/bin/env python3
"""Provision a local Elasticsearch for development and tests: one node, or N nodes forming one cluster.

    python infra/elasticsearch/esnode.py start|stop|status [--nodes N] [--port P] ...   (--help for all)

The code is index/esnode.py, which ships in the package so that `earful es` works from an installed
wheel. This entry runs that file directly (standard library only): any python3 runs it from a checkout,
before the virtual environment exists (CI, infra/test.sh).
"""

import runpy
from pathlib import Path

if __name__ == "__main__":
    runpy.run_path(str(Path(__file__).resolve().parents[2] / "index" / "esnode.py"), run_name="__main__")
