"""T4 children benefiting: the interval against scipy, its coverage, and the bootstrap cross-check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from cms_stats.measures.children import children_benefiting, children_bootstrap_interval


def skewed_population(size: int, seed: int) -> np.ndarray:
    """Qualifying children 1..8, geometric-like (most cases 1 or 2 children)."""
    rng = np.random.default_rng(seed)
    return np.minimum(rng.geometric(0.55, size=size), 8)


def test_against_scipy():
    population = skewed_population(20_000, seed=1)
    rng = np.random.default_rng(2)
    sample = rng.choice(population, size=1_100, replace=False)
    N, n, paying = population.size, sample.size, 187_000
    est = children_benefiting(sample, N, paying)
    # independent: scipy's t interval with scale = the fpc-corrected standard error of the mean
    scale = stats.sem(sample) * np.sqrt(1 - n / N)
    lo, hi = stats.t.interval(0.95, df=n - 1, loc=np.mean(sample), scale=scale)
    assert est.n == n and est.N == N
    assert est.mean == pytest.approx(np.mean(sample), rel=1e-12)
    assert est.se == pytest.approx(scale, rel=1e-12)
    assert est.t == pytest.approx(stats.t.ppf(0.975, n - 1), rel=1e-12)
    assert (est.mean_lower, est.mean_upper) == pytest.approx((lo, hi), rel=1e-12)
    assert (est.estimate, est.lower, est.upper) == pytest.approx(
        (paying * np.mean(sample), paying * lo, paying * hi), rel=1e-12)
    assert est.as_dict()["upper"] == est.upper


def test_other_level_and_guards():
    sample = np.array([1, 2, 2, 3, 1, 1, 4])
    est = children_benefiting(sample, 50, 10, level=0.9)
    scale = stats.sem(sample) * np.sqrt(1 - 7 / 50)
    assert (est.mean_lower, est.mean_upper) == pytest.approx(
        stats.t.interval(0.9, 6, loc=sample.mean(), scale=scale), rel=1e-12)
    with pytest.raises(ValueError, match="larger than its population"):
        children_benefiting(sample, 5, 10)
    with pytest.raises(ValueError, match="at least 2"):
        children_benefiting([2], 5, 10)


def test_coverage_monte_carlo():
    """Over 4,000 samples drawn without replacement, the 95% interval covers the true total
    (cases paying x population mean) between 93.5% and 96.5% of the time. The sampling
    fraction is large (n/N = 0.25) so that leaving out the fpc would visibly over-cover."""
    N, n, reps = 2_000, 500, 4_000
    population = skewed_population(N, seed=3)
    paying = 1_234
    true_total = paying * population.mean()
    rng = np.random.default_rng(4)
    # vectorised draws without replacement: the n smallest of N uniforms per row
    idx = np.argpartition(rng.random((reps, N)), n, axis=1)[:, :n]
    samples = population[idx]
    covered = np.empty(reps, dtype=bool)
    for i in range(reps):
        est = children_benefiting(samples[i], N, paying)
        covered[i] = est.lower <= true_total <= est.upper
    coverage = covered.mean()
    assert 0.935 <= coverage <= 0.965, coverage
    # The same draws without the fpc over-cover, and the test can tell the difference. The
    # naive interval is wider on every draw, so it covers every draw the fpc interval covers,
    # plus those whose error lies between the two half-widths: a share p of about
    # 2 * (F(t / sqrt(1 - n/N)) - F(t)) of draws (F the t distribution, t its 97.5% point),
    # 2.6 points here. The observed share is binomial: it must lie within 4 standard errors of
    # p, a band that excludes 0 (the fpc left out of the estimator) by more than 6 errors.
    means, sds = samples.mean(axis=1), samples.std(axis=1, ddof=1)
    t = stats.t.ppf(0.975, n - 1)
    naive_covered = np.abs(means - population.mean()) <= t * sds / np.sqrt(n)
    assert not (covered & ~naive_covered).any()
    p = 2 * (stats.t.cdf(t / np.sqrt(1 - n / N), n - 1) - stats.t.cdf(t, n - 1))
    band = 4 * np.sqrt(p * (1 - p) / reps)
    assert p - band > 0.015
    assert abs((naive_covered & ~covered).mean() - p) <= band, ((naive_covered & ~covered).mean(), p)


def test_bootstrap_agrees_roughly():
    population = skewed_population(100_000, seed=5)
    rng = np.random.default_rng(6)
    sample = rng.choice(population, size=1_100, replace=False)
    est = children_benefiting(sample, population.size, 250_000)
    boot = children_bootstrap_interval(sample, population.size, 250_000, seed=7)
    width = est.upper - est.lower
    assert boot["lower"] == pytest.approx(est.lower, abs=0.1 * width)
    assert boot["upper"] == pytest.approx(est.upper, abs=0.1 * width)
    assert boot["mean_lower"] < est.mean < boot["mean_upper"]
    # seeded: the same call gives the same interval
    assert children_bootstrap_interval(sample, population.size, 250_000, seed=7) == boot
