"""BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way") and Gamma-Gamma (Fader,
Hardie and Lee 2005, "RFM and CLV: using iso-value curves"), written from the papers with numpy/scipy.

Data per customer, in one time unit (the scores use weeks, as the papers do):
- ``x``: repeat transactions (purchase days after the first);
- ``t_x``: time from the first to the last purchase; ``T``: time from the first purchase to now;
- ``m``: the average value of the repeat transactions (Gamma-Gamma only, customers with ``x > 0``).

Fitting is maximum likelihood with `scipy.optimize.minimize` (L-BFGS-B) over the logarithms of the
parameters, so every parameter stays positive without constraints; the bounds (e^-12 .. e^12) only
keep a degenerate sample (a handful of customers) from running to infinity.

CLV (`clv`): the expected purchases month by month over a horizon, each valued at the customer's
expected average order value and discounted monthly:

    CLV = E[M] * sum_{k=1..K} (E[X(k)] - E[X(k-1)]) / (1 + d)^k     (K months, d the monthly rate)

where E[X(t)] is BG/NBD's conditional expectation after t months (4.348 weeks each) and E[M] is the
Gamma-Gamma conditional mean. This is the discrete form the papers' authors use in their notes; it
ignores margins (revenue, not profit), which a company can apply itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.special import betaln, gammaln, hyp2f1

from core.errors import InvalidInput

Array = npt.NDArray[np.float64]
WEEKS_PER_MONTH: Final = 365.25 / 12 / 7
_LOG_BOUND: Final = 12.0


@dataclass(frozen=True)
class BGNBDParams:
    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float


def _arrays(*columns: Sequence[float] | Array) -> tuple[Array, ...]:
    out = tuple(np.asarray(c, dtype=np.float64) for c in columns)
    if len({c.shape for c in out}) != 1 or out[0].ndim != 1:
        raise InvalidInput("the model inputs must be columns of one length", details={})
    return out


def _check_summary(x: Array, t_x: Array, T: Array) -> None:
    bad = (x < 0) | (t_x < 0) | (t_x > T + 1e-9) | ((x == 0) & (t_x != 0)) | ~np.isfinite(T)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise InvalidInput(
            "a customer summary must have x >= 0, 0 <= t_x <= T, and t_x = 0 when x = 0",
            details={"row": index, "x": float(x[index]), "t_x": float(t_x[index]), "T": float(T[index])},
        )


# --- BG/NBD --------------------------------------------------------------------------------------
def bgnbd_log_likelihood(params: BGNBDParams, x: Array, t_x: Array, T: Array) -> Array:
    """Each customer's log-likelihood (the paper's equation 6, in logs)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # the dropout-after-the-last-purchase term exists only for repeat customers
    dropped = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return np.asarray(head + np.logaddexp(alive, dropped), dtype=np.float64)


def fit_bgnbd(
    x: Sequence[float] | Array,
    t_x: Sequence[float] | Array,
    T: Sequence[float] | Array,
    *,
    weights: Sequence[float] | Array | None = None,
    penalty: float = 0.0,
) -> BGNBDParams:
    """Maximum-likelihood r, alpha, a, b (`weights`: how many customers share each row). `penalty`
    adds ``penalty * |theta - theta0|^2`` to the mean negative log-likelihood, theta the log-parameters
    and theta0 = (0, log mean T, 0, 0): a weak prior that keeps a small, homogeneous sample from
    sending the parameters to infinity (0: plain maximum likelihood, as for the CDNOW check)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    _check_summary(xs, txs, Ts)
    w = np.ones_like(xs) if weights is None else _arrays(weights)[0]
    # alpha scales with time: start it at the scale of the data so the optimiser starts close
    scale = float(np.log(max(float(np.mean(Ts)), 1e-3)))

    start = np.array([0.0, scale, 0.0, 0.0])

    from scipy.optimize import minimize  # 2 s to import: only a scores run fits, the web UI never does

    def objective(theta: Array) -> float:
        params = BGNBDParams(*np.exp(theta))
        mean = float(np.sum(w * bgnbd_log_likelihood(params, xs, txs, Ts))) / float(np.sum(w))
        return -mean + penalty * float(np.sum((theta - start) ** 2))

    result = minimize(
        objective, start, method="L-BFGS-B", bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4, options={"ftol": 1e-12}
    )
    # a polish from the optimum: L-BFGS-B's numerical gradient stops a little short on flat valleys
    result = minimize(objective, result.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12})
    theta = np.clip(result.x, -_LOG_BOUND, _LOG_BOUND)
    return BGNBDParams(*(float(v) for v in np.exp(theta)))


def probability_alive(params: BGNBDParams, x: Array, t_x: Array, T: Array) -> Array:
    """P(the customer has not dropped out by T | x, t_x, T); 1 for customers without repeat purchases
    (the model's assumption: dropout can only follow a purchase)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    log_ratio = (
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) + (r + x) * np.log((alpha + T) / (alpha + t_x))
    )
    return np.asarray(np.where(repeat, 1.0 / (1.0 + np.exp(log_ratio)), 1.0), dtype=np.float64)


def expected_purchases(params: BGNBDParams, t: float, x: Array, t_x: Array, T: Array) -> Array:
    """E[X(T, T + t) | x, t_x, T]: expected purchases in the next `t` time units (equation 10)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if t <= 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    body = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    repeat = x > 0
    denominator = 1.0 + np.where(
        repeat,
        (a / np.where(repeat, b + x - 1, 1.0)) * ((alpha + T) / (alpha + t_x)) ** (r + x),
        0.0,
    )
    return np.asarray(np.maximum(head * body / denominator, 0.0), dtype=np.float64)


def population_rate(params: BGNBDParams) -> float:
    """Mean purchase rate of a customer while alive (lambda ~ Gamma(r, alpha)): r / alpha per unit."""
    return params.r / params.alpha


# --- Gamma-Gamma ---------------------------------------------------------------------------------
def gamma_gamma_log_likelihood(params: GammaGammaParams, x: Array, m: Array) -> Array:
    """Each repeat customer's log-likelihood of their average spend `m` over `x` transactions."""
    p, q, v = params.p, params.q, params.v
    return np.asarray(
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(x * m + v),
        dtype=np.float64,
    )


def fit_gamma_gamma(
    x: Sequence[float] | Array, m: Sequence[float] | Array, *, penalty: float = 0.0
) -> GammaGammaParams:
    """Maximum-likelihood p, q, v over customers with x > 0 and m > 0 (others are not informative);
    `penalty` as `fit_bgnbd`'s, around theta0 = (0, 0, log mean m)."""
    xs, ms = _arrays(x, m)
    keep = (xs > 0) & (ms > 0)
    if not keep.any():
        raise InvalidInput("Gamma-Gamma needs customers with repeat purchases of positive value", details={})
    xs, ms = xs[keep], ms[keep]

    start = np.array([0.0, 0.0, float(np.log(np.mean(ms)))])

    from scipy.optimize import minimize

    def objective(theta: Array) -> float:
        mean = float(np.mean(gamma_gamma_log_likelihood(GammaGammaParams(*np.exp(theta)), xs, ms)))
        return -mean + penalty * float(np.sum((theta - start) ** 2))

    result = minimize(
        objective, start, method="L-BFGS-B", bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3, options={"ftol": 1e-12}
    )
    result = minimize(objective, result.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12})
    theta = np.clip(result.x, -_LOG_BOUND, _LOG_BOUND)
    return GammaGammaParams(*(float(v) for v in np.exp(theta)))


def expected_average_value(params: GammaGammaParams, x: Array, m: Array) -> Array:
    """E[M | p, q, v, x, m]: a weighted mean of the population mean (vp/(q-1)) and the customer's own
    average, the weight of their own growing with x; the population mean for x = 0."""
    p, q, v = params.p, params.q, params.v
    if q <= 1:  # the population mean does not exist: fall back on the customer's own average
        return np.asarray(np.where(x > 0, m, 0.0), dtype=np.float64)
    own = np.where(x > 0, m, 0.0)
    return np.asarray((p * (v + x * own)) / (p * x + q - 1), dtype=np.float64)


# --- lifetime value ------------------------------------------------------------------------------
def clv(
    bgnbd: BGNBDParams,
    average_value: Array,
    x: Array,
    t_x: Array,
    T: Array,
    *,
    months: int,
    monthly_discount: float,
) -> Array:
    """Discounted revenue over the next `months` months (module docstring); times in weeks."""
    total = np.zeros_like(x)
    before = np.zeros_like(x)
    for k in range(1, months + 1):
        upto = expected_purchases(bgnbd, k * WEEKS_PER_MONTH, x, t_x, T)
        total += (upto - before) / (1.0 + monthly_discount) ** k
        before = upto
    return np.asarray(total * average_value, dtype=np.float64)
