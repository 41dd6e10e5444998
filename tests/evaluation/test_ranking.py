"""Weighted totals, spread, disagreement and ranking (pure functions, no database)."""

from fractions import Fraction

from marketplace.evaluation.ranking import MissingScore, evaluate_proposal, rank_proposals

CRITERIA = [(1, 50), (2, 30), (3, 20)]  # weights add up to 100
A, B = 101, 102  # evaluators


def full(proposal, evaluator, s1, s2, s3):
    return [(proposal, evaluator, 1, s1), (proposal, evaluator, 2, s2), (proposal, evaluator, 3, s3)]


def test_weighted_total_is_the_weighted_mean_on_a_100_scale():
    scores = full(7, A, 8, 6, 10) + full(7, B, 6, 6, 10)
    result = rank_proposals(CRITERIA, scores, [7], [A, B]).get(7)
    # means 7, 6, 10 -> 50*0.7 + 30*0.6 + 20*1.0 = 35 + 18 + 20
    assert result.total == 73.0
    assert [c.mean for c in result.criteria] == [7.0, 6.0, 10.0]
    assert [c.count for c in result.criteria] == [2, 2, 2]
    assert {e.evaluator_id: e.total for e in result.evaluators} == {A: 78.0, B: 68.0}
    assert result.spread == 10.0
    assert result.complete and result.missing == ()
    assert result.rank == 1


def test_weights_matter_more_than_raw_sums():
    # proposal 1 is strong on the heavy criterion, proposal 2 on the light ones
    scores = full(1, A, 10, 2, 2) + full(2, A, 2, 10, 10)
    ranking = rank_proposals(CRITERIA, scores, [1, 2], [A])
    assert ranking.get(1).total == 50 + 6 + 4
    assert ranking.get(2).total == 10 + 30 + 20
    assert [r.proposal_id for r in ranking.results] == [1, 2]


def test_extreme_scores_give_0_and_100():
    scores = full(1, A, 10, 10, 10) + full(2, A, 0, 0, 0)
    ranking = rank_proposals(CRITERIA, scores, [1, 2], [A])
    assert ranking.get(1).total == 100.0
    assert ranking.get(2).total == 0.0
    assert ranking.get(2).rank == 2  # zero is a real score, still ranked


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    scores = full(1, A, 9, 9, 9) + full(2, A, 8, 8, 8) + full(3, A, 8, 8, 8) + full(4, A, 5, 5, 5)
    ranking = rank_proposals(CRITERIA, scores, [4, 3, 2, 1], [A])
    assert [(r.proposal_id, r.rank) for r in ranking.results] == [(1, 1), (3, 2), (2, 2), (4, 4)]


def test_ties_are_exact_not_float_approximations():
    # 7.5 / 8.5 averaged vs 8 / 8: the same mean, so the same total and the same rank
    scores = [
        (1, A, 1, 7),
        (1, B, 1, 8),
        (1, A, 2, 8),
        (1, B, 2, 8),
        (1, A, 3, 8),
        (1, B, 3, 9),
        (2, A, 1, 8),
        (2, B, 1, 7),
        (2, A, 2, 8),
        (2, B, 2, 8),
        (2, A, 3, 9),
        (2, B, 3, 8),
    ]
    ranking = rank_proposals(CRITERIA, scores, [1, 2], [A, B])
    assert ranking.get(1).exact_total == ranking.get(2).exact_total
    assert ranking.get(1).rank == ranking.get(2).rank == 1


def test_non_terminating_means_stay_exact():
    crit = [(1, 100)]
    scores = [(1, A, 1, 1), (1, B, 1, 2), (1, 103, 1, 2)]  # mean 5/3
    result = rank_proposals(crit, scores, [1], [A, B, 103]).get(1)
    assert result.exact_total == Fraction(50, 3)
    assert result.total == 16.67


def test_missing_scores_are_not_counted_as_zero():
    # B has not scored criterion 3 yet: its mean comes from A alone
    scores = [*full(1, A, 6, 6, 6), (1, B, 1, 6), (1, B, 2, 6)]
    result = rank_proposals(CRITERIA, scores, [1], [A, B]).get(1)
    assert result.total == 60.0
    assert not result.complete
    assert result.missing == (MissingScore(B, 3),)
    # B's own total is over what B scored, rescaled: not dragged down by the gap
    assert {e.evaluator_id: (e.total, e.complete) for e in result.evaluators} == {
        A: (60.0, True),
        B: (60.0, False),
    }
    assert result.spread == 0.0
    assert result.rank == 1


def test_a_criterion_nobody_scored_is_left_out_and_the_rest_rescaled():
    scores = [(1, A, 1, 8), (1, A, 2, 8)]  # criterion 3 (weight 20) missing entirely
    result = rank_proposals(CRITERIA, scores, [1], [A]).get(1)
    assert result.total == 80.0
    assert result.criteria[2].mean is None and result.criteria[2].count == 0
    assert result.missing == (MissingScore(A, 3),)


def test_incomplete_proposals_are_ranked_by_what_exists_but_flagged():
    scores = full(1, A, 5, 5, 5) + full(1, B, 5, 5, 5) + full(2, A, 9, 9, 9)
    ranking = rank_proposals(CRITERIA, scores, [1, 2], [A, B])
    first, second = ranking.results
    assert (first.proposal_id, first.rank, first.complete) == (2, 1, False)
    assert len(first.missing) == 3 and {m.evaluator_id for m in first.missing} == {B}
    assert (second.proposal_id, second.rank, second.complete) == (1, 2, True)


def test_a_proposal_without_scores_is_unranked_and_last():
    scores = full(2, A, 3, 3, 3)
    ranking = rank_proposals(CRITERIA, scores, [1, 2, 3], [A])
    assert [(r.proposal_id, r.rank) for r in ranking.results] == [(2, 1), (1, None), (3, None)]
    unscored = ranking.get(1)
    assert unscored.total is None and not unscored.ranked and not unscored.complete
    assert len(unscored.missing) == 3
    assert unscored.evaluators == () and unscored.spread == 0.0 and not unscored.disagreement


def test_no_expected_evaluator_is_never_complete():
    result = rank_proposals(CRITERIA, [], [1], []).get(1)
    assert result.rank is None and not result.complete and result.missing == ()


def test_disagreement_when_spread_exceeds_threshold():
    # A: 90, B: 60 -> spread 30 > 20
    scores = full(1, A, 9, 9, 9) + full(1, B, 6, 6, 6)
    result = rank_proposals(CRITERIA, scores, [1], [A, B]).get(1)
    assert result.spread == 30.0 and result.disagreement
    assert result.total == 75.0


def test_spread_equal_to_threshold_is_not_a_disagreement():
    scores = full(1, A, 8, 8, 8) + full(1, B, 6, 6, 6)  # spread exactly 20
    ranking = rank_proposals(CRITERIA, scores, [1], [A, B])
    assert ranking.get(1).spread == 20.0 and not ranking.get(1).disagreement
    assert ranking.flagged == ()


def test_threshold_is_a_parameter():
    scores = full(1, A, 8, 8, 8) + full(1, B, 7, 7, 7)  # spread 10
    assert not rank_proposals(CRITERIA, scores, [1], [A, B]).get(1).disagreement
    strict = rank_proposals(CRITERIA, scores, [1], [A, B], threshold=5)
    assert strict.get(1).disagreement
    assert [r.proposal_id for r in strict.flagged] == [1]


def test_one_evaluator_has_no_spread():
    result = rank_proposals(CRITERIA, full(1, A, 10, 0, 0), [1], [A]).get(1)
    assert result.spread == 0.0 and not result.disagreement


def test_only_expected_evaluators_and_known_criteria_count():
    # C (conflicted on proposal 1) scored it anyway; criterion 99 is not the scenario's
    C = 103
    scores = full(1, A, 5, 5, 5) + full(1, C, 10, 10, 10) + [(1, A, 99, 0)]
    per_proposal = {1: [A], 2: [A, C]}
    ranking = rank_proposals(CRITERIA, scores + full(2, C, 4, 4, 4), [1, 2], per_proposal)
    assert ranking.get(1).total == 50.0
    assert [e.evaluator_id for e in ranking.get(1).evaluators] == [A]
    assert ranking.get(1).complete
    assert ranking.get(2).total == 40.0
    assert ranking.get(2).missing == tuple(MissingScore(A, c) for c in (1, 2, 3))


def test_scores_of_proposals_not_listed_are_ignored():
    scores = full(1, A, 5, 5, 5) + full(9, A, 10, 10, 10)  # 9 is not eligible
    ranking = rank_proposals(CRITERIA, scores, [1], [A])
    assert [r.proposal_id for r in ranking.results] == [1]
    assert ranking.get(9) is None


def test_evaluate_proposal_alone():
    result = evaluate_proposal(5, [(1, 60), (2, 40)], [(A, 1, 10), (A, 2, 5)], [A])
    assert result.total == 80.0 and result.rank is None and result.complete
