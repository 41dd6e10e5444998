"""Consortium suggestion: the smallest teams that together cover every required capability.

Exact minimum set cover over a small candidate pool (the service passes the best-scoring members
that cover at least one requirement). Scenarios need a handful of capabilities (m <= ~8), so
candidates collapse to at most 2^m - 1 distinct "what it covers" bitmasks:

1. the minimum team size is found over the *maximal* masks only (a member whose mask is inside
   another's can always be swapped for that one, so this loses no solution size), trying sizes
   1, 2, ... in order, so the first size with a cover is the minimum;
2. every team of that size is enumerated over all distinct masks and expanded to companies;
3. teams are ordered "a large firm leading SMEs" first (大手拉小手): teams with a large firm, then
   teams with exactly one large firm, then by the members' match scores.

Requirements that no candidate covers are reported as ``uncoverable``; the teams then cover all
the others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations, product


@dataclass(frozen=True)
class Candidate:
    company: int  # any id the caller uses
    covers: frozenset[int]  # required capability ids this company covers
    size: str = "sme"  # large | sme
    score: float = 0.0  # its match score for the scenario (tie-breaker)


@dataclass(frozen=True)
class Team:
    members: tuple[Candidate, ...]  # the lead first

    @property
    def lead(self) -> Candidate:
        return self.members[0]

    @property
    def large_count(self) -> int:
        return sum(1 for m in self.members if m.size == "large")

    @property
    def score(self) -> float:
        return sum(m.score for m in self.members)

    def preference(self) -> tuple:
        """Sort key, smaller is better: a large lead with SMEs, then the best scores."""
        return (
            self.large_count == 0,
            self.large_count > 1,
            -round(self.score, 6),
            tuple(m.company for m in self.members),
        )


@dataclass
class ConsortiumPlan:
    requirements: tuple[int, ...]
    uncoverable: tuple[int, ...] = ()
    min_size: int | None = None  # None when nothing can be covered
    teams: list[Team] = field(default_factory=list)  # best first, all of min_size

    @property
    def single_company_suffices(self) -> bool:
        return self.min_size == 1


def _order_members(members) -> tuple[Candidate, ...]:
    # Lead: the best-scoring large firm, else the best-scoring member; then by score.
    ranked = sorted(members, key=lambda m: (m.size != "large", -m.score, m.company))
    return (ranked[0], *sorted(ranked[1:], key=lambda m: (-m.score, m.company)))


def minimum_teams(requirements, candidates, *, alternatives: int = 3, per_mask: int = 3) -> ConsortiumPlan:
    """The smallest teams covering every coverable requirement, best ``alternatives + 1`` first.

    ``per_mask`` bounds how many companies with the same coverage are tried (the best-scoring
    ones of each size), which only limits the alternatives, never the minimum size.
    """
    reqs = tuple(dict.fromkeys(requirements))
    bit = {r: 1 << i for i, r in enumerate(reqs)}
    by_mask: dict[int, list[Candidate]] = {}
    for c in candidates:
        mask = 0
        for r in c.covers:
            mask |= bit.get(r, 0)
        if mask:
            by_mask.setdefault(mask, []).append(c)
    target = 0
    for mask in by_mask:
        target |= mask
    uncoverable = tuple(r for r in reqs if not target & bit[r])
    plan = ConsortiumPlan(requirements=reqs, uncoverable=uncoverable)
    if not target:
        return plan
    masks = sorted(by_mask)
    maximal = [m for m in masks if not any(m != o and m & o == m for o in masks)]
    k_min = None
    for k in range(1, len(maximal) + 1):
        if any(_union(combo) == target for combo in combinations(maximal, k)):
            k_min = k
            break
    assert k_min is not None  # the union of all maximal masks is the target
    plan.min_size = k_min
    pools = {}
    for mask, group in by_mask.items():
        best = []
        for size in ("large", "sme"):
            same = sorted((c for c in group if c.size == size), key=lambda c: (-c.score, c.company))
            best += same[:per_mask]
        others = [c for c in group if c.size not in ("large", "sme")]
        pools[mask] = best + sorted(others, key=lambda c: (-c.score, c.company))[:per_mask]
    teams: list[Team] = []
    seen: set[tuple[int, ...]] = set()
    for combo in combinations(masks, k_min):
        if _union(combo) != target:
            continue
        for members in product(*(pools[m] for m in combo)):
            ids = tuple(sorted(m.company for m in members))
            if len(set(ids)) < k_min or ids in seen:
                continue
            seen.add(ids)
            teams.append(Team(_order_members(members)))
    teams.sort(key=Team.preference)
    plan.teams = teams[: alternatives + 1]
    return plan


def _union(masks) -> int:
    out = 0
    for m in masks:
        out |= m
    return out
