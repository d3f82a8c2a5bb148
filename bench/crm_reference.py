"""The CRM reference checks in one run: BG/NBD and Gamma-Gamma on CDNOW (`bench/cdnow.py`) and the
duplicate matcher on FEBRL 4 (`bench/febrl.py`), each printing its details, then the three numbers as
the last three lines: ``cdnow_max_abs_err=<x>``, ``febrl_precision=<x>``, ``febrl_recall=<x>``.

    .venv/bin/python bench/crm_reference.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cdnow import report_cdnow
from febrl import report_febrl


def main() -> None:
    cdnow_err = report_cdnow()
    precision, recall = report_febrl()
    # the summary, last: what infra/bench.sh and a reader look for
    print(f"cdnow_max_abs_err={cdnow_err:.4f}")
    print(f"febrl_precision={precision:.4f}")
    print(f"febrl_recall={recall:.4f}")


if __name__ == "__main__":
    main()
