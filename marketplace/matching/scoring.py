"""The scoring engine: three signals computed for every (scenario, company) pair with matrix code.

Signals, each in [0, 1]:

- **coverage**: for each required capability r (weights normalised to 1), the company's best
  credit ``evidence(k) x relation(k, r)`` over its capabilities k, where relation is 1 for the
  same capability (synonyms already map to it), 0.9 when the company has a capability inside the
  required group, 0.6 when it declared only the group of the required capability, 0.35 for a
  sibling in the same group, and 0.8 for an unmapped tag that contains a capability's name; and
  evidence is 1.0 verified, 0.9 past project, 0.7 self-declared. Coverage is
  ``0.7 x weighted credit + 0.3 x weighted share of requirements covered (credit >= 0.4)``,
  so a missing capability costs more than weaker evidence for one that is there.
- **text**: BM25 of the scenario text (query) against the company's description, capabilities
  and projects (documents), over character bigrams, ASCII words and concept tokens (see
  ``text.py``); concept tokens count ``concept_weight`` times a bigram. Divided by the best
  company's score for that scenario, so 1.0 is "the closest text among the candidates".
- **track record**: park scenarios the company won (completed 1.0, piloting 0.8, awarded 0.6;
  x0.8 as a consortium member) and its own delivered projects (0.5), credited to their
  capabilities and spread through the taxonomy like coverage; 0.7 x weighted credit on the
  scenario's requirements + 0.3 x best award in the scenario's domain.

``score = w_coverage x coverage + w_text x text + w_track x track`` (0.5 / 0.35 / 0.15; when a
scenario lists no capability, the coverage weight goes to text). Everything is built once into
dense (companies x capabilities) and sparse (companies x terms) matrices; ranking one scenario
is a few matrix-vector products, and recommendations for every company are computed in blocks of
scenarios with a running top-k, never a Python loop over pairs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse

from marketplace.matching.model import CompanyData, ScenarioData, Taxonomy, company_text
from marketplace.matching.text import ConceptMatcher, analyze, build_matcher, normalize_text

RELATION_CREDIT = {"exact": 1.0, "child": 0.9, "parent": 0.6, "sibling": 0.35}
TAG_CREDIT = 0.8
EVIDENCE_CREDIT = {"verified": 1.0, "past_project": 0.9, "self_declared": 0.7}
COVERED_AT = 0.4
COMPLETENESS_SHARE = 0.3
AWARD_CREDIT = {"completed": 1.0, "piloting": 0.8, "awarded": 0.6}
MEMBER_FACTOR = 0.8
PROJECT_CREDIT = 0.5
TRACK_DOMAIN_SHARE = 0.3
DOMAINS = ("一网通办", "一网统管", "一网提优", "一网协同")


@dataclass(frozen=True)
class MatchConfig:
    """Weights and switches; the switches exist so the evaluation can measure each part."""

    w_coverage: float = 0.5
    w_text: float = 0.35
    w_track: float = 0.15
    taxonomy_credit: bool = True  # partial credit through parent/child/sibling and tags
    evidence_weighting: bool = True  # verified > past project > self-declared
    concepts: bool = True  # the domain dictionary's concept tokens
    taxonomy_concepts: bool = True  # the taxonomy's names and synonyms as concept tokens
    concept_weight: float = 2.0
    k1: float = 1.2
    b: float = 0.75

    def with_(self, **changes) -> MatchConfig:
        return replace(self, **changes)


def relation_matrix(taxonomy: Taxonomy, cap_ids: list[int], partial: bool = True) -> np.ndarray:
    """``rel[k, r]``: credit that having capability k gives for needing capability r."""
    pos = {c: i for i, c in enumerate(cap_ids)}
    rel = np.eye(len(cap_ids), dtype=np.float32)
    if not partial:
        return rel
    children: dict[int, list[int]] = {}
    for c in cap_ids:
        p = taxonomy.parent(c)
        if p is not None and p in pos:
            children.setdefault(p, []).append(c)
    for group, kids in children.items():
        g = pos[group]
        for kid in kids:
            rel[pos[kid], g] = RELATION_CREDIT["child"]
            rel[g, pos[kid]] = RELATION_CREDIT["parent"]
            for other in kids:
                if other != kid:
                    rel[pos[kid], pos[other]] = RELATION_CREDIT["sibling"]
    return rel


def tag_capabilities(tag: str, taxonomy: Taxonomy) -> list[int]:
    """Capabilities an unmapped free-text word most likely means: those with a name or synonym
    (two characters or more) contained in the word, or containing it. Leaves before groups."""
    t = "".join(normalize_text(tag).split())
    if len(t) < 2:
        return []
    found = []
    for node in sorted(taxonomy.nodes.values(), key=lambda n: n.parent is None):
        for word in (node.name, *node.words):
            w = "".join(normalize_text(word).split())
            if len(w) >= 2 and (w in t or t in w):
                found.append(node.id)
                break
    leaves = [c for c in found if taxonomy.parent(c) is not None]
    return leaves or found


def expand_through(values: sparse.csc_matrix, rel: np.ndarray) -> np.ndarray:
    """``out[n, r] = max_k values[n, k] * rel[k, r]`` for a sparse (N x K) ``values``.

    One vectorised block update per capability k (over the companies that have it and the
    capabilities it gives credit for), so the cost is nnz x (related capabilities)."""
    n_rows, k_caps = values.shape
    out = np.zeros((n_rows, k_caps), dtype=np.float32)
    for k in range(k_caps):
        lo, hi = values.indptr[k], values.indptr[k + 1]
        if lo == hi:
            continue
        rows = values.indices[lo:hi]
        vals = values.data[lo:hi]
        targets = np.flatnonzero(rel[k])
        block = vals[:, None] * rel[k, targets][None, :]
        ix = np.ix_(rows, targets)
        out[ix] = np.maximum(out[ix], block)
    return out


DENSE_TERM_SHARE = 0.05  # a term in more than 5% of the documents ...
DENSE_TERM_MAX = 256  # ... is kept in a dense block (at most this many terms)


class TermMatrix:
    """Document term weights (terms x documents), multiplied by blocks of query rows.

    The few very common terms (数据, 平台, 系统 ... in nearly every profile) sit in a dense
    block multiplied with BLAS, the long tail in a sparse matrix: a sparse product would spend
    most of its time on the common terms, whose postings are most of the work. The split is
    exact, not an approximation; a single query uses the plain sparse product.
    """

    def __init__(self, doc_terms: sparse.csr_matrix):
        self.doc_terms = doc_terms
        n_terms, n_docs = doc_terms.shape
        df = np.diff(doc_terms.indptr)
        common = np.flatnonzero(df > DENSE_TERM_SHARE * n_docs)
        self.dense_terms = np.sort(common[np.argsort(-df[common], kind="stable")][:DENSE_TERM_MAX])
        self.doc_dense = np.ascontiguousarray(doc_terms[self.dense_terms].toarray(), dtype=np.float32)
        keep = np.ones(n_terms, dtype=np.float32)
        keep[self.dense_terms] = 0
        rest = (sparse.diags(keep) @ doc_terms).tocsr()
        rest.eliminate_zeros()
        self.doc_rest = rest

    @property
    def shape(self):
        return self.doc_terms.shape

    def product(self, q: sparse.csr_matrix) -> np.ndarray:
        """``q @ doc_terms`` as a dense float32 (queries x documents) array."""
        if q.shape[0] < 8:
            return (q @ self.doc_terms).toarray().astype(np.float32, copy=False)
        out = (q @ self.doc_rest).toarray().astype(np.float32, copy=False)
        if len(self.dense_terms):
            out += q[:, self.dense_terms].toarray() @ self.doc_dense
        return out


@dataclass
class TextIndex:
    vocab: dict[str, int]
    docs: TermMatrix  # BM25 weights of every company's text
    queries: sparse.csr_matrix  # (scenarios x terms) query weights
    idf: np.ndarray

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Raw BM25 of the queries at ``rows`` against every document: (len(rows) x N)."""
        return self.docs.product(self.queries[rows])


def build_text_index(
    doc_texts: list[str], query_texts: list[str], matcher: ConceptMatcher | None, config: MatchConfig
) -> TextIndex:
    # Analyses are not kept (a Counter per text is most of the memory at 50,000 companies);
    # explanations re-analyse the two texts they show.
    docs = (analyze(t, matcher) for t in doc_texts)
    queries = (analyze(t, matcher) for t in query_texts)
    # Term ids without a Python statement per term: ``map(vocab.setdefault, terms, count())``
    # gives new terms fresh numbers (skipping some); np.unique makes them contiguous after.
    vocab: dict[str, int] = {}
    counter = itertools.count()
    indptr = [0]
    cols: list[int] = []
    vals: list[float] = []
    for a in docs:
        cols.extend(map(vocab.setdefault, a.terms.keys(), counter))
        vals.extend(a.terms.values())
        indptr.append(len(cols))
    raw = np.array(cols, dtype=np.int64)
    used = np.unique(raw)
    remap = np.full(int(used[-1]) + 1 if len(used) else 1, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    vocab = dict(
        zip(
            vocab.keys(),
            remap[np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))].tolist(),
            strict=False,
        )
    )
    n_terms = len(used)
    tf = sparse.csr_matrix(
        (np.array(vals, dtype=np.float32), remap[raw].astype(np.int32), np.array(indptr, dtype=np.int64)),
        shape=(len(indptr) - 1, n_terms),
    )
    n_docs = max(len(indptr) - 1, 1)
    df = np.bincount(tf.indices, minlength=n_terms).astype(np.float32)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    dl = np.asarray(tf.sum(axis=1)).ravel()
    avgdl = float(dl.mean()) if len(dl) else 1.0
    row_of = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
    denom = tf.data + config.k1 * (1 - config.b + config.b * dl[row_of] / max(avgdl, 1e-9))
    bm25 = tf.copy()
    bm25.data = (idf[tf.indices] * tf.data * (config.k1 + 1) / denom).astype(np.float32)
    boost = np.ones(n_terms, dtype=np.float32)
    concept_ids = [i for term, i in vocab.items() if term[:2] in ("k:", "c:")]
    boost[concept_ids] = config.concept_weight
    q_indptr = [0]
    q_cols: list[int] = []
    q_counts: list[float] = []
    for a in queries:
        for term, count in a.terms.items():
            i = vocab.get(term)
            if i is not None:
                q_cols.append(i)
                q_counts.append(count)
        q_indptr.append(len(q_cols))
    q_idx = np.array(q_cols, dtype=np.int32)
    q_val = (
        (1.0 + np.log(np.array(q_counts, dtype=np.float32))) * boost[q_idx]
        if q_cols
        else np.zeros(0, np.float32)
    )
    q = sparse.csr_matrix(
        (q_val.astype(np.float32), q_idx, np.array(q_indptr, dtype=np.int64)),
        shape=(len(q_indptr) - 1, n_terms),
    )
    return TextIndex(vocab=vocab, docs=TermMatrix(bm25.T.tocsr()), queries=q, idf=idf)


@dataclass
class SignalScores:
    """Each signal and the total for one scenario against every company (arrays of N)."""

    coverage: np.ndarray
    text: np.ndarray
    track: np.ndarray
    total: np.ndarray


class MatchEngine:
    """All companies and scenarios, pre-scored into matrices. Immutable once built.

    ``company_mask`` (optional) restricts which companies are ranked (e.g. approved members);
    the others still exist (so indexes stay stable) but always score -inf.
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        companies: list[CompanyData],
        scenarios: list[ScenarioData],
        config: MatchConfig | None = None,
    ):
        self.config = config or MatchConfig()
        self.taxonomy = taxonomy
        self.companies = companies
        self.scenarios = scenarios
        self.company_pos = {c.id: i for i, c in enumerate(companies)}
        self.scenario_pos = {s.id: i for i, s in enumerate(scenarios)}
        self.cap_ids = sorted(taxonomy.nodes)
        self.cap_pos = {c: i for i, c in enumerate(self.cap_ids)}
        cfg = self.config
        self.rel = relation_matrix(taxonomy, self.cap_ids, partial=cfg.taxonomy_credit)
        self._mixed_t: np.ndarray | None = None  # built on first use by score_block
        self._build_capabilities()
        self._build_text()

    # -- building ---------------------------------------------------------------------------

    def evidence_credit(self, evidence: str) -> float:
        if not self.config.evidence_weighting:
            return 1.0
        return EVIDENCE_CREDIT.get(evidence, EVIDENCE_CREDIT["self_declared"])

    def company_credits(self, company: CompanyData) -> dict[int, float]:
        """Capability id -> credit before the taxonomy (evidence, and tags when allowed)."""
        credits = {c: self.evidence_credit(ev) for c, ev in company.capabilities.items() if c in self.cap_pos}
        if self.config.taxonomy_credit:
            for tag in company.tags:
                for cap in tag_capabilities(tag, self.taxonomy):
                    value = self.evidence_credit("self_declared") * TAG_CREDIT
                    if credits.get(cap, 0.0) < value:
                        credits[cap] = value
        return credits

    def _build_capabilities(self) -> None:
        n, k = len(self.companies), len(self.cap_ids)
        rows, cols, vals = [], [], []
        t_rows, t_cols, t_vals = [], [], []
        self.domain_credit = np.zeros((n, len(DOMAINS)), dtype=np.float32)
        dom_pos = {d: i for i, d in enumerate(DOMAINS)}
        for i, company in enumerate(self.companies):
            for cap, cap_credit in self.company_credits(company).items():
                rows.append(i)
                cols.append(self.cap_pos[cap])
                vals.append(cap_credit)
            track: dict[int, float] = {}
            for p in company.projects:
                if p.capability in self.cap_pos:
                    track[p.capability] = max(track.get(p.capability, 0.0), PROJECT_CREDIT)
            for a in company.awards:
                award_credit = AWARD_CREDIT.get(a.status, 0.0) * (1.0 if a.role == "lead" else MEMBER_FACTOR)
                for cap in a.capabilities:
                    if cap in self.cap_pos:
                        track[cap] = max(track.get(cap, 0.0), award_credit)
                d = dom_pos.get(a.domain)
                if d is not None:
                    self.domain_credit[i, d] = max(self.domain_credit[i, d], award_credit)
            for cap, cap_credit in track.items():
                t_rows.append(i)
                t_cols.append(self.cap_pos[cap])
                t_vals.append(cap_credit)
        have = sparse.csc_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n, k))
        have.sum_duplicates()
        credit = expand_through(have, self.rel)  # (N x K): best credit per required capability
        # Stored capability-major (K x N, C order): a scenario needs a few capabilities, and
        # their rows are contiguous, so scoring reads only those rows.
        self.credit_t = np.ascontiguousarray(credit.T)
        self.coverage_t = np.ascontiguousarray(
            ((1 - COMPLETENESS_SHARE) * credit + COMPLETENESS_SHARE * (credit >= COVERED_AT)).T,
            dtype=np.float32,
        )
        del credit
        done = sparse.csc_matrix((np.array(t_vals, dtype=np.float32), (t_rows, t_cols)), shape=(n, k))
        done.sum_duplicates()
        self.track_t = np.ascontiguousarray(expand_through(done, self.rel).T)
        # Requirement weights (S x K, sparse), each row normalised to 1.
        w_rows, w_cols, w_vals = [], [], []
        for j, sc in enumerate(self.scenarios):
            total = sum(wt for cap, wt in sc.requirements.items() if cap in self.cap_pos)
            for cap, weight in sc.requirements.items():
                if cap in self.cap_pos and total > 0:
                    w_rows.append(j)
                    w_cols.append(self.cap_pos[cap])
                    w_vals.append(weight / total)
        self.req_weights = sparse.csr_matrix(
            (np.array(w_vals, dtype=np.float32), (w_rows, w_cols)), shape=(len(self.scenarios), k)
        )
        self.has_requirements = np.diff(self.req_weights.indptr) > 0
        self.scenario_domain = np.array([dom_pos.get(s.domain, -1) for s in self.scenarios], dtype=np.int64)

    def credit_for(self, capability_id: int) -> np.ndarray:
        """Every company's credit (after evidence and taxonomy) for one required capability."""
        return self.credit_t[self.cap_pos[capability_id]]

    def _build_text(self) -> None:
        cfg = self.config
        words = None
        if cfg.taxonomy_concepts:
            words = {n.id: (n.name, [n.name, *n.words]) for n in self.taxonomy.nodes.values()}
        self.matcher = build_matcher(words, use_dictionary=cfg.concepts)
        self.text = build_text_index(
            [company_text(c, self.taxonomy) for c in self.companies],
            [s.text for s in self.scenarios],
            self.matcher,
            cfg,
        )

    # -- scoring ----------------------------------------------------------------------------

    def _signals(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(coverage, text, track) for the scenarios at ``rows``: three (len(rows) x N) arrays."""
        w = self.req_weights[rows]  # sparse: a few capabilities per scenario
        coverage = np.asarray(w @ self.coverage_t, dtype=np.float32)
        track = (1 - TRACK_DOMAIN_SHARE) * np.asarray(w @ self.track_t, dtype=np.float32)
        dom = self.scenario_domain[rows]
        known = dom >= 0
        if known.any():
            track[known] += TRACK_DOMAIN_SHARE * self.domain_credit[:, dom[known]].T
        text = self.text.scores(rows).astype(np.float32, copy=False)
        top = text.max(axis=1, keepdims=True) if text.shape[1] else np.zeros((len(rows), 1), np.float32)
        np.divide(text, top, out=text, where=top > 0)
        return coverage, text, track

    def _combine(self, rows: np.ndarray, coverage, text, track) -> np.ndarray:
        """The weighted total; reuses ``coverage``'s memory (callers that need the separate
        signals afterwards pass copies)."""
        cfg = self.config
        has = self.has_requirements[rows]
        w_text = np.where(has, cfg.w_text, cfg.w_text + cfg.w_coverage).astype(np.float32)[:, None]
        total = coverage
        total *= np.float32(cfg.w_coverage)
        total += w_text * text
        total += np.float32(cfg.w_track) * track
        return total

    def block_signals(self, rows: np.ndarray) -> SignalScores:
        """Each signal and the total for the scenarios at ``rows``: (len(rows) x N) arrays."""
        coverage, text, track = self._signals(rows)
        total = self._combine(rows, coverage.copy(), text, track)
        return SignalScores(coverage, text, track, total)

    def scenario_signals(self, scenario_index: int) -> SignalScores:
        sig = self.block_signals(np.array([scenario_index]))
        return SignalScores(sig.coverage[0], sig.text[0], sig.track[0], sig.total[0])

    def rank_companies(
        self, scenario_index: int, *, company_mask: np.ndarray | None = None, limit: int | None = None
    ) -> tuple[np.ndarray, SignalScores]:
        """Company indexes best first (ties by index), and the signal arrays."""
        sig = self.scenario_signals(scenario_index)
        total = sig.total if company_mask is None else np.where(company_mask, sig.total, -np.inf)
        order = top_indexes(total, limit, valid=company_mask)
        return order, sig

    def score_block(self, rows: np.ndarray) -> np.ndarray:
        """Totals for a block of scenarios (len(rows) x N), the same numbers as ``block_signals``
        computed with fewer passes: coverage and track in one product with a premixed matrix,
        text normalised and weighted in place."""
        cfg = self.config
        if self._mixed_t is None:
            self._mixed_t = np.ascontiguousarray(
                cfg.w_coverage * self.coverage_t + cfg.w_track * (1 - TRACK_DOMAIN_SHARE) * self.track_t,
                dtype=np.float32,
            )
        total = np.asarray(self.req_weights[rows] @ self._mixed_t, dtype=np.float32)
        dom = self.scenario_domain[rows]
        for d in range(len(DOMAINS)):
            at = np.flatnonzero(dom == d)
            if len(at):
                total[at] += np.float32(cfg.w_track * TRACK_DOMAIN_SHARE) * self.domain_credit[:, d][None, :]
        text = self.text.scores(rows)
        top = text.max(axis=1) if text.shape[1] else np.zeros(len(rows), np.float32)
        w_text = np.where(self.has_requirements[rows], cfg.w_text, cfg.w_text + cfg.w_coverage)
        scale = np.divide(w_text, top, out=np.zeros(len(rows)), where=top > 0).astype(np.float32)
        text *= scale[:, None]
        total += text
        return total

    def recommend_all(
        self,
        k: int,
        *,
        scenario_mask: np.ndarray | None = None,
        block: int = 512,
        company_rows: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` scenarios for every company: (N x k) scenario indexes and scores, best first
        (-1 / -inf where fewer than k scenarios qualify)."""
        return top_k_per_company(
            self.score_block,
            len(self.scenarios),
            len(self.companies),
            k,
            scenario_mask=scenario_mask,
            block=block,
            company_rows=company_rows,
        )


def top_indexes(values: np.ndarray, limit: int | None, valid: np.ndarray | None = None) -> np.ndarray:
    """Indexes of the ``limit`` largest values, best first; ties broken by index (stable)."""
    idx = np.arange(len(values)) if valid is None else np.flatnonzero(valid)
    vals = values[idx]
    if limit is not None and limit < len(idx):
        part = np.argpartition(-vals, limit - 1)[:limit]
        # Keep everything tied with the limit-th value, so the stable sort decides ties by index.
        cut = vals[part].min()
        part = np.flatnonzero(vals >= cut)
        idx, vals = idx[part], vals[part]
    order = np.argsort(-vals, kind="stable")  # idx is ascending, so ties stay in index order
    out = idx[order]
    return out[:limit] if limit is not None else out


def top_k_per_company(
    score_block,
    n_scenarios: int,
    n_companies: int,
    k: int,
    *,
    scenario_mask: np.ndarray | None = None,
    block: int = 512,
    company_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Running top-k over blocks of scenarios; ``score_block(rows) -> (len(rows) x N)`` with
    scores >= 0.

    Each block only touches the pairs that beat a company's current k-th best (after the first
    blocks that is a few per company), and merges them with one sort on a combined key
    (company, -score), so the cost follows the number of candidates, not companies x block.
    """
    cols = np.arange(n_companies) if company_rows is None else np.asarray(company_rows)
    n = len(cols)
    best_val = np.full((n, k), -1.0, dtype=np.float64)  # -1: empty slot (scores are >= 0)
    best_idx = np.full((n, k), -1, dtype=np.int64)
    rows_all = np.arange(n_scenarios) if scenario_mask is None else np.flatnonzero(scenario_mask)
    owner = np.repeat(np.arange(n), k)
    for start in range(0, len(rows_all), block):
        rows = rows_all[start : start + block]
        scores = score_block(rows)
        if company_rows is not None:
            scores = scores[:, cols]
        # candidates: (scenario j, company i) with a score above company i's k-th best; while
        # a company has fewer than k, the block's own k-th best bounds what can enter.
        threshold = best_val[:, -1]
        if len(rows) > k and (threshold < 0).any():
            block_kth = np.partition(scores, len(rows) - k, axis=0)[len(rows) - k]
            threshold = np.maximum(threshold, np.nextafter(block_kth, -np.inf))
        j, i = np.nonzero(scores > threshold[None, :].astype(scores.dtype))
        if len(i) == 0:
            continue
        vals = np.concatenate([best_val.ravel(), scores[j, i].astype(np.float64)])
        idxs = np.concatenate([best_idx.ravel(), rows[j]])
        whose = np.concatenate([owner, i])
        # one sort: by company, then by score descending (scores lie in [-1, 2))
        order = np.argsort(whose * 4.0 + (2.0 - vals), kind="stable")
        whose, vals, idxs = whose[order], vals[order], idxs[order]
        first = np.searchsorted(whose, np.arange(n))
        take = first[:, None] + np.arange(k)[None, :]
        best_val = vals[take]
        best_idx = idxs[take]
    empty = best_val < 0
    best_val = best_val.astype(np.float32)
    best_val[empty] = -np.inf
    best_idx[empty] = -1
    return best_idx, best_val
