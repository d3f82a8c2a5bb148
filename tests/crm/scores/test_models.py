"""BG/NBD and Gamma-Gamma: the CDNOW reference (published parameters and log-likelihood), parameter
recovery on simulated data, and the properties of the conditional expectations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidInput
from crm.scores import models
from crm.scores.cdnow import PUBLISHED_BGNBD, PUBLISHED_GAMMA_GAMMA, load_cdnow
from crm.scores.models import BGNBDParams, GammaGammaParams

PUBLISHED = BGNBDParams(**PUBLISHED_BGNBD)


@pytest.fixture(scope="module")
def cdnow() -> models.Array:
    data = load_cdnow()
    return np.stack([data.x, data.t_x, data.T, data.m])


def test_cdnow_reproduces_the_published_bgnbd_parameters(cdnow: models.Array) -> None:
    x, t_x, T, _ = cdnow
    assert len(x) == 2357
    fitted = vars(models.fit_bgnbd(x, t_x, T))
    for name, published in PUBLISHED_BGNBD.items():
        assert fitted[name] == pytest.approx(published, abs=0.01), name


def test_cdnow_log_likelihood_at_the_published_parameters(cdnow: models.Array) -> None:
    """The paper reports LL = -9582.4 at its estimates."""
    x, t_x, T, _ = cdnow
    assert float(np.sum(models.bgnbd_log_likelihood(PUBLISHED, x, t_x, T))) == pytest.approx(-9582.4, abs=0.5)


def test_cdnow_reproduces_the_published_gamma_gamma_parameters(cdnow: models.Array) -> None:
    x, _, _, m = cdnow
    repeat = x > 0
    assert int(repeat.sum()) == 946
    fitted = vars(models.fit_gamma_gamma(x[repeat], m[repeat]))
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert fitted[name] == pytest.approx(published, abs=0.05), name


def test_cdnow_conditional_expectations(cdnow: models.Array) -> None:
    """The paper's customer with x=2, t_x=30.43, T=38.86: about 1.23 purchases in the next 39 weeks."""
    one = (np.array([2.0]), np.array([30.43]), np.array([38.86]))
    assert float(models.expected_purchases(PUBLISHED, 39, *one)[0]) == pytest.approx(1.226, abs=0.01)
    assert float(models.probability_alive(PUBLISHED, *one)[0]) == pytest.approx(0.726, abs=0.01)


def _simulate(params: BGNBDParams, n: int, weeks: float, seed: int) -> tuple[models.Array, ...]:
    rng = np.random.default_rng(seed)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        rate, p = rng.gamma(params.r, 1 / params.alpha), rng.beta(params.a, params.b)
        t = 0.0
        while True:
            t += rng.exponential(1 / rate)
            if t > weeks:
                break
            x[i], t_x[i] = x[i] + 1, t
            if rng.random() < p:
                break
    return x, t_x, np.full(n, weeks)


def test_the_fit_recovers_simulated_parameters() -> None:
    truth = BGNBDParams(r=1.5, alpha=6.0, a=1.2, b=4.0)
    x, t_x, T = _simulate(truth, 4000, 52.0, seed=3)
    fitted = models.fit_bgnbd(x, t_x, T)
    assert fitted.r / fitted.alpha == pytest.approx(truth.r / truth.alpha, rel=0.15)
    assert fitted.a / (fitted.a + fitted.b) == pytest.approx(truth.a / (truth.a + truth.b), rel=0.25)


def test_bad_summaries_are_refused() -> None:
    with pytest.raises(InvalidInput):
        models.fit_bgnbd([1, 0], [5, 1], [10, 10])  # t_x > 0 without repeat purchases
    with pytest.raises(InvalidInput):
        models.fit_bgnbd([1], [12], [10])  # t_x > T
    with pytest.raises(InvalidInput):
        models.fit_gamma_gamma([0, 0], [0, 0])


summaries = st.tuples(st.integers(0, 30), st.floats(0.0, 1.0), st.floats(1.0, 100.0)).map(
    lambda v: (float(v[0]), v[1] * v[2] if v[0] else 0.0, v[2])
)


@settings(max_examples=60, deadline=None)
@given(summaries, st.floats(0.5, 80.0))
def test_expectations_are_sane(summary: tuple[float, float, float], weeks: float) -> None:
    x, t_x, T = (np.array([v]) for v in summary)
    alive = float(models.probability_alive(PUBLISHED, x, t_x, T)[0])
    assert 0.0 <= alive <= 1.0
    sooner = float(models.expected_purchases(PUBLISHED, weeks, x, t_x, T)[0])
    later = float(models.expected_purchases(PUBLISHED, weeks * 2, x, t_x, T)[0])
    assert 0.0 <= sooner <= later
    if summary[0] > 0:  # a longer silence since the last purchase: less likely alive
        quieter = float(models.probability_alive(PUBLISHED, x, t_x, T + 10)[0])
        assert quieter <= alive + 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 50), st.floats(1.0, 1000.0))
def test_expected_order_value_lies_between_the_population_and_own_mean(x: int, m: float) -> None:
    params = GammaGammaParams(**PUBLISHED_GAMMA_GAMMA)
    population = params.p * params.v / (params.q - 1)
    value = float(models.expected_average_value(params, np.array([float(x)]), np.array([m]))[0])
    assert min(population, m) - 1e-9 <= value <= max(population, m) + 1e-9


def test_clv_discounts_and_grows_with_the_horizon() -> None:
    x, t_x, T = np.array([4.0]), np.array([30.0]), np.array([32.0])
    value = np.array([50.0])
    short = models.clv(PUBLISHED, value, x, t_x, T, months=6, monthly_discount=0.01)
    long = models.clv(PUBLISHED, value, x, t_x, T, months=12, monthly_discount=0.01)
    undiscounted = models.clv(PUBLISHED, value, x, t_x, T, months=12, monthly_discount=0.0)
    expected = models.expected_purchases(PUBLISHED, 12 * models.WEEKS_PER_MONTH, x, t_x, T)
    assert 0 < short[0] < long[0] < undiscounted[0]
    assert undiscounted[0] == pytest.approx(expected[0] * 50.0)
