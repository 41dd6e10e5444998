"""The calibrated fit, its bands and the threshold, and how they are fitted (pure)."""

from __future__ import annotations

import numpy as np
import pytest

from marketplace.matching.evaluate import calibrate, choose_threshold
from marketplace.matching.fit import BANDS, FIT_MAX, RECOMMEND_AT, band_of, fit_of, fits_of, total_at


def test_fit_grows_with_the_total_and_stays_within_0_and_99():
    totals = np.linspace(-0.5, 1.5, 201)
    fits = [fit_of(t) for t in totals]
    assert fits == sorted(fits)
    assert min(fits) == 0 and max(fits) == FIT_MAX
    assert np.allclose(np.rint(fits_of(totals)), fits)


@pytest.mark.parametrize(
    ("fit", "band"),
    [(99, "high"), (70, "high"), (69, "medium"), (40, "medium"), (39, "low"), (RECOMMEND_AT, "low")],
)
def test_bands(fit, band):
    assert band_of(fit) == band


def test_below_the_threshold_there_is_no_band():
    assert band_of(RECOMMEND_AT - 1) is None and band_of(0) is None
    assert BANDS[-1][0] == RECOMMEND_AT


def test_total_at_inverts_the_curve():
    for fit in (RECOMMEND_AT, 40, 70):
        assert fit_of(total_at(fit) + 1e-6) == fit


def test_calibrate_recovers_a_known_curve():
    rng = np.random.default_rng(7)
    totals = rng.uniform(0, 0.6, 20000)
    p = 1 / (1 + np.exp(-30 * (totals - 0.2)))
    slope, midpoint = calibrate(totals, rng.uniform(size=totals.size) < p)
    assert slope == pytest.approx(30, rel=0.1) and midpoint == pytest.approx(0.2, abs=0.01)


def test_choose_threshold_keeps_the_strong_and_half_the_partial_matches():
    fits = np.array([90, 80, 70, 60, 50, 40, 30, 20, 10, 5])
    grades = np.array([2, 2, 2, 1, 1, 1, 1, 0, 0, 0])
    assert choose_threshold(fits, grades, keep_strong=1.0, keep_partial=0.5) == 50
    assert choose_threshold(fits, grades, keep_strong=1.0, keep_partial=1.0) == 30
    assert choose_threshold(fits, grades, keep_strong=1.0, keep_partial=0.0) == 70
