"""The CDNOW reference check: fit BG/NBD and Gamma-Gamma (crm/scores/models.py) on the CDNOW summary
shipped inside the `lifetimes` package and print the fitted parameters beside Fader, Hardie and Lee's
(2005): r, alpha, a, b = 0.243, 4.414, 0.793, 2.426; p, q, v = 6.25, 3.74, 15.44 (Gamma-Gamma on the
customers with repeat purchases). The last line is ``cdnow_max_abs_err=<x>``, the largest absolute
difference over the seven parameters (targets: 0.01 for BG/NBD, 0.05 for Gamma-Gamma).

    .venv/bin/python bench/cdnow.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm.scores.cdnow import PUBLISHED_BGNBD, PUBLISHED_GAMMA_GAMMA, load_cdnow
from crm.scores.models import fit_bgnbd, fit_gamma_gamma


def report_cdnow() -> float:
    """Fit, print each parameter beside the published one, and return the largest absolute error."""
    data = load_cdnow()
    started = time.perf_counter()
    bgnbd = fit_bgnbd(data.x, data.t_x, data.T)
    repeat = data.x > 0
    gamma_gamma = fit_gamma_gamma(data.x[repeat], data.m[repeat])
    seconds = time.perf_counter() - started
    print(
        f"CDNOW: {len(data.x)} customers, {int(repeat.sum())} with repeat purchases; "
        f"fitted in {seconds:.2f} s"
    )
    print(f"{'parameter':<18}{'fitted':>10}{'published':>12}{'abs err':>10}")
    errors: list[float] = []
    for model, fitted, published in (
        ("BG/NBD", vars(bgnbd), PUBLISHED_BGNBD),
        ("Gamma-Gamma", vars(gamma_gamma), PUBLISHED_GAMMA_GAMMA),
    ):
        for name, want in published.items():
            err = abs(fitted[name] - want)
            errors.append(err)
            print(f"{model + ' ' + name:<18}{fitted[name]:>10.4f}{want:>12.3f}{err:>10.4f}")
    worst = max(errors)
    print(f"cdnow_max_abs_err={worst:.4f}")
    return worst


if __name__ == "__main__":
    report_cdnow()
