"""Consortium suggestion: minimum covers (checked against brute force) and team preferences."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from marketplace.matching.consortium import Candidate, minimum_teams


def cand(company, covers, size="sme", score=0.0):
    return Candidate(company, frozenset(covers), size, score)


@pytest.mark.parametrize(
    "requirements, candidates, min_size, uncoverable",
    [
        # one company covers everything
        ("ab", [cand(1, "ab"), cand(2, "a")], 1, ()),
        # two halves
        ("abcd", [cand(1, "ab"), cand(2, "cd"), cand(3, "a"), cand(4, "c")], 2, ()),
        # the greedy trap: greedy takes the big {a,b,c,d} first and then needs two more
        ("abcdef", [cand(1, "abcd"), cand(2, "ace"), cand(3, "bdf"), cand(4, "e"), cand(5, "f")], 2, ()),
        # a requirement nobody has
        ("abz", [cand(1, "a"), cand(2, "b")], 2, ("z",)),
        # nothing at all
        ("ab", [cand(1, "")], None, ("a", "b")),
        # three needed
        ("abc", [cand(1, "a"), cand(2, "b"), cand(3, "c"), cand(4, "a")], 3, ()),
    ],
)
def test_minimum_team_size(requirements, candidates, min_size, uncoverable):
    plan = minimum_teams(list(requirements), candidates)
    assert plan.min_size == min_size
    assert plan.uncoverable == tuple(uncoverable)
    coverable = set(requirements) - set(uncoverable)
    for team in plan.teams:
        assert len(team.members) == min_size
        assert set().union(*(m.covers for m in team.members)) >= coverable


def brute_force_min(requirements, candidates):
    coverable = set(requirements) & set().union(*(c.covers for c in candidates))
    if not coverable:
        return None, []
    for k in range(1, len(candidates) + 1):
        teams = [
            combo
            for combo in combinations(candidates, k)
            if set().union(*(c.covers for c in combo)) >= coverable
        ]
        if teams:
            return k, teams
    raise AssertionError("unreachable")


@pytest.mark.parametrize("seed", range(60))
def test_minimum_matches_brute_force(seed):
    rng = random.Random(seed)
    reqs = list("abcdef"[: rng.randint(2, 6)])
    candidates = [
        cand(
            i,
            {r for r in reqs if rng.random() < 0.3},
            rng.choice(["large", "sme", "sme"]),
            round(rng.random(), 3),
        )
        for i in range(rng.randint(3, 11))
    ]
    plan = minimum_teams(reqs, candidates, alternatives=1000, per_mask=1000)
    k, teams = brute_force_min(reqs, candidates)
    assert plan.min_size == k
    if k is None:
        assert plan.teams == []
        return
    # Every minimum team is found (with no limits on alternatives), and nothing else.
    useful = {frozenset(c.company for c in t) for t in teams if all(c.covers for c in t)}
    found = {frozenset(m.company for m in t.members) for t in plan.teams}
    assert found == useful


def test_a_large_firm_leads_smes():
    cands = [
        cand(1, "ab", "sme", 0.9),
        cand(2, "cd", "sme", 0.9),
        cand(3, "ab", "large", 0.5),
        cand(4, "cd", "large", 0.4),
    ]
    plan = minimum_teams(list("abcd"), cands)
    best = plan.teams[0]
    assert best.lead.company == 3 and best.lead.size == "large"
    assert [m.size for m in best.members] == ["large", "sme"]  # one large firm, then SMEs
    # two large firms come after "large + SME", and all-SME teams last
    kinds = [t.large_count for t in plan.teams]
    assert kinds[0] == 1 and kinds[-1] == 0


def test_alternatives_are_limited_and_distinct():
    cands = [cand(i, "a" if i % 2 else "b", "sme", i / 10) for i in range(1, 9)]
    plan = minimum_teams(list("ab"), cands, alternatives=2)
    assert len(plan.teams) == 3
    assert len({tuple(sorted(m.company for m in t.members)) for t in plan.teams}) == 3
    # best scores first
    scores = [round(t.score, 6) for t in plan.teams]
    assert scores == sorted(scores, reverse=True)
