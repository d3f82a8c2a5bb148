"""The CDNOW reference data (Fader, Hardie and Lee 2005) and the parameters they published, for the
tests and bench/cdnow.py: the summary files shipped inside the `lifetimes` package (a dev dependency),
read from its installed files without importing it (its loaders need pkg_resources and pandas).

- ``cdnow_customers_summary_with_transactions.csv``: 2,357 customers, ``x`` (repeat purchases),
  ``t_x``, ``T`` (weeks) and ``zbar`` (the mean repeat-purchase value), the papers' data.
"""

from __future__ import annotations

import csv
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from core.errors import DatasetMissing
from crm.scores.models import Array

DATA_FILE: Final = "lifetimes/datasets/cdnow_customers_summary_with_transactions.csv"
PUBLISHED_BGNBD: Final = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA: Final = {"p": 6.25, "q": 3.74, "v": 15.44}


@dataclass(frozen=True)
class CDNOW:
    x: Array
    t_x: Array
    T: Array
    m: Array


def cdnow_path() -> Path:
    try:
        located = importlib.metadata.distribution("lifetimes").locate_file(DATA_FILE)
    except importlib.metadata.PackageNotFoundError as exc:
        raise DatasetMissing(
            "the CDNOW data ships in the `lifetimes` package: pip install lifetimes"
        ) from exc
    path = Path(str(located))
    if not path.is_file():
        raise DatasetMissing(f"{DATA_FILE} is missing from the installed lifetimes package")
    return path


def load_cdnow() -> CDNOW:
    with cdnow_path().open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))

    def column(name: str) -> Array:
        return np.asarray([float(row[name]) for row in rows], dtype=np.float64)

    return CDNOW(x=column("x"), t_x=column("t_x"), T=column("T"), m=column("zbar"))
