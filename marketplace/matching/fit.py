"""The calibrated fit: the engine's total (a weighted sum of coverage, text and track record in
[0, 1]) mapped to a 0-100 fit that reads as "how likely is this pair relevant", a band, and the
threshold below which nothing is shown as a recommendation.

The mapping is a logistic curve ``100 / (1 + exp(-FIT_SLOPE x (total - FIT_MIDPOINT)))``: a
fit of 50 is a pair judged relevant (grade 1 or 2) about half the time. ``FIT_SLOPE`` and
``FIT_MIDPOINT`` are fitted by ``evaluate.calibrate`` (logistic regression of "grade >= 1" on
the total, every company of every judged scenario) and ``RECOMMEND_AT`` is chosen by
``evaluate.choose_threshold``, both on the tuning half of the real labelled set only (see
BENCHMARKS.md); the test half is read only to report. Pure functions, no I/O.
"""

from __future__ import annotations

import math

import numpy as np

FIT_SLOPE = 31.6
FIT_MIDPOINT = 0.163
RECOMMEND_AT = 14  # below this fit, a pair is never shown as a recommendation
FIT_MAX = 99  # a fit is an estimate: never shown as certain
BANDS = ((70, "high"), (40, "medium"), (RECOMMEND_AT, "low"))


def fit_of(total: float) -> int:
    """The 0-99 fit of one engine total."""
    return int(min(FIT_MAX, round(100.0 / (1.0 + math.exp(-FIT_SLOPE * (float(total) - FIT_MIDPOINT))))))


def fits_of(totals: np.ndarray) -> np.ndarray:
    """``fit_of`` over an array (float fits, not rounded: for thresholds and evaluation)."""
    out = 100.0 / (1.0 + np.exp(-FIT_SLOPE * (np.asarray(totals, dtype=np.float64) - FIT_MIDPOINT)))
    return np.minimum(out, FIT_MAX)


def total_at(fit: float) -> float:
    """The engine total at which the fit reaches ``fit`` (the inverse of the curve)."""
    return FIT_MIDPOINT + math.log(fit / (100.0 - fit)) / FIT_SLOPE


def band_of(fit: float) -> str | None:
    """``high`` / ``medium`` / ``low``, or None below ``RECOMMEND_AT`` (not a recommendation)."""
    for floor, name in BANDS:
        if fit >= floor:
            return name
    return None


def recommended(fit: float) -> bool:
    return fit >= RECOMMEND_AT
