"""Weighted totals, evaluator disagreement and the ranking of proposals. Pure: no database.

Rules (the ones staff see on the progress page):

- Each criterion has a weight; the weights of a scenario add up to 100. A score is 0-10.
- Only the scores of the proposal's *expected* evaluators count: those assigned to the scenario
  and not conflicted on that proposal. Scores of others, of unknown criteria or of proposals
  that are not in ``proposal_ids`` (not eligible) are ignored.
- The mean of a criterion is taken over the evaluators who scored it.
- The weighted total is ``sum(weight * mean / 10)`` on a 0-100 scale. **Missing scores are not
  counted as zero**: when a criterion has no score at all yet, the total is taken over the
  criteria that do have one and rescaled to 100 (``sum(weight * mean / 10) * 100 /
  sum(weights of scored criteria)``). Such a proposal is ranked by what exists but is marked
  ``complete = False`` and lists what is missing.
- Each evaluator's own total uses the same rule over the criteria he scored; the spread is the
  highest minus the lowest evaluator total (0 with fewer than two evaluators), and
  ``disagreement`` is set when the spread is strictly greater than the threshold (20 points by
  default), which calls for a consensus discussion.
- A proposal without any counted score is unranked (``rank is None``) and comes last.
- Ranking is competition ranking on the exact totals (1, 2, 2, 4): equal totals share a rank.
  Arithmetic is exact (fractions), so 7.5 + 8.5 and 8 + 8 are the same total. Within a rank and
  among the unranked, proposals keep the order of ``proposal_ids``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

DEFAULT_DISAGREEMENT_THRESHOLD = 20
SCORE_MAX = 10


@dataclass(frozen=True, slots=True)
class CriterionMean:
    criterion_id: int
    weight: int
    mean: float | None  # None: nobody scored it yet
    count: int  # how many evaluators scored it


@dataclass(frozen=True, slots=True)
class EvaluatorTotal:
    evaluator_id: int
    total: float  # 0-100 over the criteria this evaluator scored
    scored: int  # how many criteria this evaluator scored
    complete: bool


@dataclass(frozen=True, slots=True)
class MissingScore:
    evaluator_id: int
    criterion_id: int


@dataclass(frozen=True, slots=True)
class ProposalResult:
    proposal_id: int
    total: float | None  # 0-100, rounded to 2 decimals; None when nothing is scored
    exact_total: Fraction | None
    criteria: tuple[CriterionMean, ...]
    evaluators: tuple[EvaluatorTotal, ...]
    spread: float
    disagreement: bool
    complete: bool
    missing: tuple[MissingScore, ...]
    rank: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None


@dataclass(frozen=True, slots=True)
class Ranking:
    results: tuple[ProposalResult, ...]  # ranked first (by rank), then unranked
    threshold: float
    by_proposal: dict[int, ProposalResult] = field(default_factory=dict)

    def get(self, proposal_id: int) -> ProposalResult | None:
        return self.by_proposal.get(proposal_id)

    @property
    def flagged(self) -> tuple[ProposalResult, ...]:
        return tuple(r for r in self.results if r.disagreement)


def _round(value: Fraction) -> float:
    return round(float(value), 2)


def _weighted(means: Mapping[int, Fraction], weights: Mapping[int, int]) -> Fraction | None:
    """0-100 total over the criteria present in ``means``, rescaled to their weights."""
    scored_weight = sum(weights[c] for c in means)
    if not means or scored_weight == 0:
        return None
    raw = sum((weights[c] * m / SCORE_MAX for c, m in means.items()), Fraction(0))
    return raw * 100 / scored_weight


def evaluate_proposal(
    proposal_id: int,
    criteria: Sequence[tuple[int, int]],
    scores: Iterable[tuple[int, int, int]],
    evaluator_ids: Sequence[int],
    *,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> ProposalResult:
    """One proposal. ``scores``: (evaluator_id, criterion_id, score) of this proposal."""
    weights = dict(criteria)
    expected = list(dict.fromkeys(evaluator_ids))
    allowed = set(expected)
    grid: dict[int, dict[int, int]] = {e: {} for e in expected}
    for evaluator_id, criterion_id, score in scores:
        if evaluator_id in allowed and criterion_id in weights:
            grid[evaluator_id][criterion_id] = score
    per_criterion: dict[int, list[int]] = {c: [] for c, _ in criteria}
    for row in grid.values():
        for c, s in row.items():
            per_criterion[c].append(s)
    means = {c: Fraction(sum(v), len(v)) for c, v in per_criterion.items() if v}
    exact = _weighted(means, weights)
    evaluator_totals = []
    for e in expected:
        own = _weighted({c: Fraction(s) for c, s in grid[e].items()}, weights)
        if own is not None:
            evaluator_totals.append((e, own, len(grid[e]), len(grid[e]) == len(weights)))
    exact_totals = [t for _, t, _, _ in evaluator_totals]
    spread = max(exact_totals) - min(exact_totals) if len(exact_totals) > 1 else Fraction(0)
    missing = tuple(MissingScore(e, c) for e in expected for c, _ in criteria if c not in grid[e])
    return ProposalResult(
        proposal_id=proposal_id,
        total=None if exact is None else _round(exact),
        exact_total=exact,
        criteria=tuple(
            CriterionMean(
                c,
                w,
                None if c not in means else _round(means[c]),
                len(per_criterion[c]),
            )
            for c, w in criteria
        ),
        evaluators=tuple(EvaluatorTotal(e, _round(t), n, done) for e, t, n, done in evaluator_totals),
        spread=_round(spread),
        disagreement=spread > Fraction(threshold).limit_denominator(1000),
        complete=bool(expected) and not missing,
        missing=missing,
    )


def rank_proposals(
    criteria: Sequence[tuple[int, int]],
    scores: Iterable[tuple[int, int, int, int]],
    proposal_ids: Sequence[int],
    evaluators: Sequence[int] | Mapping[int, Sequence[int]],
    *,
    threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD,
) -> Ranking:
    """Rank the ``proposal_ids`` (the eligible ones).

    ``criteria``: (criterion_id, weight); ``scores``: (proposal_id, evaluator_id, criterion_id,
    score); ``evaluators``: the evaluator ids expected for every proposal, or a mapping
    proposal_id -> the evaluators expected for it (assigned and not conflicted)."""
    by_proposal: dict[int, list[tuple[int, int, int]]] = {p: [] for p in proposal_ids}
    for proposal_id, evaluator_id, criterion_id, score in scores:
        if proposal_id in by_proposal:
            by_proposal[proposal_id].append((evaluator_id, criterion_id, score))
    results = []
    for proposal_id in dict.fromkeys(proposal_ids):
        expected = evaluators.get(proposal_id, ()) if isinstance(evaluators, Mapping) else evaluators
        results.append(
            evaluate_proposal(proposal_id, criteria, by_proposal[proposal_id], expected, threshold=threshold)
        )
    totalled = [(r.exact_total, r) for r in results if r.exact_total is not None]
    ranked = [r for _, r in sorted(totalled, key=lambda pair: -pair[0])]  # stable: ties keep the given order
    ordered: list[ProposalResult] = []
    for position, result in enumerate(ranked, start=1):
        if ordered and ordered[-1].exact_total == result.exact_total:
            rank = ordered[-1].rank
        else:
            rank = position
        ordered.append(replace(result, rank=rank))
    ordered.extend(r for r in results if r.exact_total is None)
    return Ranking(
        results=tuple(ordered),
        threshold=threshold,
        by_proposal={r.proposal_id: r for r in ordered},
    )
