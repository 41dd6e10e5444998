"""The scoring engine: three signals computed for every (scenario, company) pair with matrix code.

Signals, each in [0, 1]:

- **coverage**: for each need r (the scenario's required capabilities with their weights, plus
  the capabilities its text names without requiring them at ``INFERRED_NEED_WEIGHT`` of the
  mean weight; shares sum to 1), the company's best credit ``evidence(k) x relation(k, r)`` over
  its capabilities k, where relation is 1 for the same capability (synonyms already map to it),
  0.9 when the company has a capability inside the required group, 0.6 when it declared only the
  group, 0.35 for a sibling in the same group, 0.8 for an unmapped tag that contains a
  capability's name; and evidence is 1.0 verified, 0.9 past project, 0.7 self-declared, 0.5
  inferred (the company's own text names the capability but it did not declare it). Coverage
  is ``0.7 x weighted credit + 0.3 x weighted share of needs covered (credit >= 0.4)``.
- **text**: BM25 of the scenario text (query) against the company's description, capabilities
  and projects (documents), over jieba words, character bigrams, ASCII words and concept tokens
  (dictionary, taxonomy, and links learned from co-occurrence; see ``text.py`` and
  ``learn_links``); generic words weigh nothing and IDF is taken over companies and scenarios.
  Absolute, not relative to the other companies: the share of the most any company could score
  on the scenario's terms, ``TEXT_FULL`` of it counting as 1.
- **track record**: park scenarios the company won (completed 1.0, piloting 0.8, awarded 0.6;
  x0.8 as a consortium member) and its own delivered projects (0.5), credited to their
  capabilities and spread through the taxonomy like coverage; 0.7 x weighted credit on the
  scenario's needs + 0.3 x best award in the scenario's domain.

``total = w_coverage x coverage x (1 - context + context x text) + w_text x text + w_track x
track`` (0.40 / 0.45 / 0.15, context 0.4: a capability counts fully only where the two texts
meet, so a company that declares a generic capability but never speaks of the scenario's
subject does not outrank the one that does; when a scenario has no need at all, the coverage
weight goes to text). ``fit.py`` maps the total to the calibrated 0-99 fit. Weights, context
and ``TEXT_FULL`` were chosen on the tuning half of the real labelled set (BENCHMARKS.md).
Everything is built once into
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
from marketplace.matching.text import ConceptMatcher, analyze, build_matcher, normalize_text, segmenter

RELATION_CREDIT = {"exact": 1.0, "child": 0.9, "parent": 0.6, "sibling": 0.35}
TAG_CREDIT = 0.8
EVIDENCE_CREDIT = {"verified": 1.0, "past_project": 0.9, "self_declared": 0.7, "inferred": 0.5}
COVERED_AT = 0.4
COMPLETENESS_SHARE = 0.3
AWARD_CREDIT = {"completed": 1.0, "piloting": 0.8, "awarded": 0.6}
MEMBER_FACTOR = 0.8
PROJECT_CREDIT = 0.5
TRACK_DOMAIN_SHARE = 0.3
DOMAINS = ("一网通办", "一网统管", "一网提优", "一网协同")


@dataclass(frozen=True)
class MatchConfig:
    """Weights and switches; the switches exist so the evaluation can measure each part, and
    ``MatchConfig.legacy()`` is the engine as it was before words, generic-word filtering,
    inferred capabilities, learned links and the absolute (calibrated) text signal."""

    w_coverage: float = 0.40
    w_text: float = 0.45
    w_track: float = 0.15
    taxonomy_credit: bool = True  # partial credit through parent/child/sibling and tags
    evidence_weighting: bool = True  # verified > past project > self-declared > inferred
    concepts: bool = True  # the domain dictionary's concept tokens
    taxonomy_concepts: bool = True  # the taxonomy's names and synonyms as concept tokens
    concept_weight: float = 1.0
    k1: float = 1.2
    b: float = 0.75
    words: bool = True  # jieba words beside the bigrams
    bigram_weight: float = 1.0  # query weight of a character bigram (words and concepts 1 / concept_weight)
    generic: bool = True  # stop list and document-frequency rule; IDF from companies and scenarios
    inferred: bool = True  # capabilities named in a profile's text but not declared (weak evidence)
    learned_links: bool = True  # word -> concept links learned from co-occurrence in the corpus
    context: float = 0.4  # share of coverage that depends on the texts meeting (0 = none)
    absolute_text: bool = True  # text as a share of the query's weight (not relative to the best company)

    def with_(self, **changes) -> MatchConfig:
        return replace(self, **changes)

    @classmethod
    def legacy(cls) -> MatchConfig:
        """The previous engine (commit 1e71db7), kept runnable for comparison."""
        return cls(
            w_coverage=0.5,
            w_text=0.35,
            concept_weight=2.0,
            words=False,
            bigram_weight=1.0,
            generic=False,
            inferred=False,
            learned_links=False,
            absolute_text=False,
            context=0.0,
        )


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
    query_max: np.ndarray  # per scenario: the score of a company matching every term at saturation
    generic: np.ndarray  # per term: True when the document-frequency rule zeroed it
    links: dict[str, list[str]]  # learned word -> concept links (term strings)
    direct: sparse.csr_matrix  # (companies + scenarios) x terms: concepts each text names itself

    def is_generic(self, term: str) -> bool:
        i = self.vocab.get(term)
        return bool(i is not None and self.generic[i])

    def scores(self, rows: np.ndarray) -> np.ndarray:
        """Raw BM25 of the queries at ``rows`` against every document: (len(rows) x N)."""
        return self.docs.product(self.queries[rows])


def _count_rows(
    analyses, vocab: dict[str, int], counter, indptr: list[int], cols: list[int], vals: list[float]
):
    # Term ids without a Python statement per term: ``map(vocab.setdefault, terms, count())``
    # gives new terms fresh numbers (skipping some); ``_contiguous`` renumbers them after.
    for a in analyses:
        cols.extend(map(vocab.setdefault, a.terms.keys(), counter))
        vals.extend(a.terms.values())
        indptr.append(len(cols))


def _contiguous(vocab: dict[str, int], cols: list[int]) -> tuple[dict[str, int], np.ndarray, int]:
    raw = np.array(cols, dtype=np.int64)
    used = np.unique(raw)
    remap = np.full(int(used[-1]) + 1 if len(used) else 1, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    ids = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))
    keep = ids < len(remap)
    new_ids = np.full(len(ids), -1, dtype=np.int64)
    new_ids[keep] = remap[ids[keep]]
    vocab = {t: i for t, i in zip(vocab.keys(), new_ids.tolist(), strict=True) if i >= 0}
    return vocab, remap[raw].astype(np.int32) if len(raw) else raw.astype(np.int32), len(used)


GENERIC_DF_SHARE = 0.2  # a word or bigram in more than 20% of all texts weighs nothing ...
GENERIC_MIN_TEXTS = 40  # ... once there are enough texts for the share to mean something
LINK_MIN_TEXTS = 3  # a learned link needs the word and the concept together in 3+ texts
LINK_MIN_SHARE = 0.5  # ... in at least half of the texts that have the word
LINK_MIN_LIFT = 3.0  # ... and 3x more often than the concept appears overall
LINK_MAX_PER_WORD = 2  # a word links to its two most specific concepts at most
LINK_WEIGHT = 0.5  # a concept reached through a learned link counts half a direct mention
TEXT_FULL = 0.15
INFERRED_NEED_WEIGHT = 0.5  # a capability the scenario's text names but does not require  # a company scoring 30% of a scenario's saturated BM25 is a full text match


def empty_matrix(rows: int, cols: int) -> sparse.csr_matrix:
    none = np.zeros(0, dtype=np.int64)
    return sparse.csr_matrix((np.zeros(0, dtype=np.float32), (none, none)), shape=(rows, cols))


def is_concept(term: str) -> bool:
    return term[:2] in ("k:", "c:")


def learn_links(tf: sparse.csr_matrix, terms: list[str], idf_zero: np.ndarray) -> sparse.csr_matrix:
    """(terms x terms) 0/1 links word -> concept learned from co-occurrence in ``tf`` (texts x
    terms): a jieba word that is not generic and that occurs with a concept in at least
    ``LINK_MIN_TEXTS`` texts, in at least ``LINK_MIN_SHARE`` of its texts, with a lift of at
    least ``LINK_MIN_LIFT``. A word that is itself a surface form of the concept adds nothing
    (those texts have the concept already)."""
    n_texts, n_terms = tf.shape
    word_ids = np.array([i for i, t in enumerate(terms) if t.startswith("w:") and not idf_zero[i]], np.int64)
    concept_ids = np.array([i for i, t in enumerate(terms) if is_concept(t)], np.int64)
    if n_texts == 0 or not len(word_ids) or not len(concept_ids):
        return empty_matrix(n_terms, n_terms)
    binary = tf.copy()
    binary.data = np.ones_like(binary.data)
    xw = binary[:, word_ids].tocsc()
    xc = binary[:, concept_ids].tocsc()
    co = (xw.T @ xc).tocoo()
    df_w = np.asarray(xw.sum(axis=0)).ravel()
    df_c = np.asarray(xc.sum(axis=0)).ravel()
    share = co.data / df_w[co.row]
    lift = share / (df_c[co.col] / n_texts)
    ok = (
        (co.data >= LINK_MIN_TEXTS)
        & (share >= LINK_MIN_SHARE)
        & (lift >= LINK_MIN_LIFT)
        & (df_c[co.col] <= GENERIC_DF_SHARE * n_texts)
    )
    rows, cols, lifts = co.row[ok], co.col[ok], lift[ok]
    order = np.lexsort((-lifts, rows))  # by word, the highest lift first
    rows, cols = rows[order], cols[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = rank < LINK_MAX_PER_WORD
    return sparse.csr_matrix(
        (np.ones(int(keep.sum()), np.float32), (word_ids[rows[keep]], concept_ids[cols[keep]])),
        shape=(n_terms, n_terms),
    )


def _apply_links(tf: sparse.csr_matrix, links: sparse.csr_matrix) -> sparse.csr_matrix:
    """Add ``LINK_WEIGHT`` for every concept a text reaches only through a learned link."""
    if links.nnz == 0:
        return tf
    reached = (tf @ links).tocsr()
    reached.data = np.ones_like(reached.data)
    present = tf.copy()
    present.data = np.ones_like(present.data)
    only = reached - reached.multiply(present)
    only.eliminate_zeros()
    return (tf + LINK_WEIGHT * only).tocsr()


def build_text_index(
    doc_texts: list[str],
    query_texts: list[str],
    matcher: ConceptMatcher | None,
    config: MatchConfig,
    tok=None,
) -> TextIndex:
    # Analyses are not kept (a Counter per text is most of the memory at 50,000 companies);
    # explanations re-analyse the two texts they show.
    stop = config.generic
    docs = (analyze(t, matcher, tok=tok, stop_words=stop) for t in doc_texts)
    queries = (analyze(t, matcher, tok=tok, stop_words=stop) for t in query_texts)
    vocab: dict[str, int] = {}
    counter = itertools.count()
    indptr: list[int] = [0]
    cols: list[int] = []
    vals: list[float] = []
    _count_rows(docs, vocab, counter, indptr, cols, vals)
    n_docs_rows = len(indptr) - 1
    # Queries add their own terms only when IDF is taken from every text (otherwise a term no
    # company uses cannot score and is dropped, as before).
    q_vocab = vocab if config.generic else dict(vocab)
    _count_rows(queries, q_vocab, counter, indptr, cols, vals)
    if not config.generic:
        doc_ids = set(vocab.values())
        cols = cols[: indptr[n_docs_rows]] + [c if c in doc_ids else -1 for c in cols[indptr[n_docs_rows] :]]
    all_vocab = vocab
    keep_cols = np.array(cols, dtype=np.int64)
    valid = keep_cols >= 0
    vocab, mapped, n_terms = _contiguous(all_vocab, keep_cols[valid].tolist())
    full = np.full(len(keep_cols), -1, dtype=np.int64)
    full[valid] = mapped
    all_tf = _csr_rows(indptr, full, vals, n_terms)
    tf, q_tf = all_tf[:n_docs_rows], all_tf[n_docs_rows:]
    terms = [""] * n_terms
    for term, i in vocab.items():
        terms[i] = term
    concept = np.array([is_concept(t) for t in terms], dtype=bool)
    # What each text names directly (before learned links): companies' inferred capabilities
    # and scenarios' inferred needs are read from this.
    direct = (all_tf @ sparse.diags(concept.astype(np.float32))).tocsr()
    direct.eliminate_zeros()
    counted = all_tf if config.generic else tf  # IDF from every text, or from companies only
    n_texts = max(counted.shape[0], 1)
    df = np.bincount(counted.indices, minlength=n_terms).astype(np.float32)
    idf = np.log1p((n_texts - df + 0.5) / (df + 0.5)).astype(np.float32)
    idf_zero = np.zeros(n_terms, dtype=bool)
    if config.generic and n_texts >= GENERIC_MIN_TEXTS:
        idf_zero = (df > GENERIC_DF_SHARE * n_texts) & ~concept
        idf[idf_zero] = 0.0
    links = empty_matrix(n_terms, n_terms)
    if config.learned_links and config.words:
        links = learn_links(all_tf, terms, idf_zero)
        tf, q_tf = _apply_links(tf, links), _apply_links(q_tf, links)
    dl = np.asarray(tf.sum(axis=1)).ravel()
    avgdl = float(dl.mean()) if len(dl) else 1.0
    row_of = np.repeat(np.arange(tf.shape[0]), np.diff(tf.indptr))
    denom = tf.data + config.k1 * (1 - config.b + config.b * dl[row_of] / max(avgdl, 1e-9))
    bm25 = tf.copy()
    bm25.data = (idf[tf.indices] * tf.data * (config.k1 + 1) / denom).astype(np.float32)
    bm25.eliminate_zeros()
    boost = np.ones(n_terms, dtype=np.float32)
    boost[concept] = config.concept_weight
    if config.bigram_weight != 1.0:
        bigram = np.array([len(t) == 2 and not t.isascii() for t in terms], dtype=bool)
        boost[bigram] = config.bigram_weight
    q = q_tf.copy()
    q.data = ((1.0 + np.log(np.maximum(q.data, 1e-9))) * boost[q.indices]).astype(np.float32)
    q.data[q_tf.data < 1] = (q_tf.data * boost[q_tf.indices])[q_tf.data < 1]  # linked concepts
    q.eliminate_zeros()
    # The most a company could score on each query: every term at BM25 saturation.
    q_max = np.asarray(q.multiply(idf[None, :] * (config.k1 + 1)).sum(axis=1)).ravel().astype(np.float32)
    link_map: dict[str, list[str]] = {}
    lc = links.tocoo()
    for w, c in zip(lc.row.tolist(), lc.col.tolist(), strict=True):
        link_map.setdefault(terms[w], []).append(terms[c])
    return TextIndex(
        vocab=vocab,
        docs=TermMatrix(bm25.T.tocsr()),
        queries=q.tocsr(),
        idf=idf,
        query_max=q_max,
        generic=idf_zero,
        links=link_map,
        direct=direct,
    )


def _csr_rows(indptr: list[int], cols: np.ndarray, vals: list[float], n_terms: int) -> sparse.csr_matrix:
    """Rows of (col, value) lists as a CSR matrix; columns < 0 are dropped."""
    ptr = np.array(indptr, dtype=np.int64)
    data = np.array(vals, dtype=np.float32)
    keep = cols >= 0
    if not keep.all():
        row = np.repeat(np.arange(len(ptr) - 1), np.diff(ptr))[keep]
        ptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=len(ptr) - 1))])
        cols, data = cols[keep], data[keep]
    m = sparse.csr_matrix((data, cols.astype(np.int32), ptr), shape=(len(ptr) - 1, n_terms))
    m.sum_duplicates()
    return m


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
        self._build_text()
        self._build_capabilities()

    # -- building ---------------------------------------------------------------------------

    def evidence_credit(self, evidence: str) -> float:
        if not self.config.evidence_weighting:
            return 1.0
        return EVIDENCE_CREDIT.get(evidence, EVIDENCE_CREDIT["self_declared"])

    def inferred_capabilities(self, company_index: int) -> list[int]:
        """Capabilities the company's own text names (a taxonomy name or synonym) without
        declaring them; empty unless ``config.inferred``."""
        if not self.config.inferred or self._inferred is None:
            return []
        m, declared = self._inferred, self.companies[company_index].capabilities
        named = m.indices[m.indptr[company_index] : m.indptr[company_index + 1]]
        return [self.cap_ids[k] for k in named if self.cap_ids[k] not in declared]

    def company_credits(self, company: CompanyData, company_index: int | None = None) -> dict[int, float]:
        """Capability id -> credit before the taxonomy (evidence, tags and inferred ones)."""
        credits = {c: self.evidence_credit(ev) for c, ev in company.capabilities.items() if c in self.cap_pos}
        if company_index is not None:
            weak = self.evidence_credit("inferred")
            for cap in self.inferred_capabilities(company_index):
                if credits.get(cap, 0.0) < weak:
                    credits[cap] = weak
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
            for cap, cap_credit in self.company_credits(company, i).items():
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
        for j in range(len(self.scenarios)):
            for cap, share in self.need_weights(j).items():
                w_rows.append(j)
                w_cols.append(self.cap_pos[cap])
                w_vals.append(share)
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
        self.tok = None
        if cfg.words:
            self.tok = segmenter(w for n in self.taxonomy.nodes.values() for w in (n.name, *n.words))
        self.text = build_text_index(
            [company_text(c, self.taxonomy) for c in self.companies],
            [s.text for s in self.scenarios],
            self.matcher,
            cfg,
            self.tok,
        )
        # (texts x K) 0/1: the capabilities each text names itself (companies, then scenarios).
        n, k = len(self.companies), len(self.cap_ids)
        named = empty_matrix(n + len(self.scenarios), k)
        found = [
            (self.text.vocab[f"c:{cap}"], pos)
            for pos, cap in enumerate(self.cap_ids)
            if f"c:{cap}" in self.text.vocab
        ]
        if found and cfg.taxonomy_concepts:
            sub = self.text.direct[:, [t for t, _ in found]].tocoo()
            ks = np.array([pos for _, pos in found], dtype=np.int64)
            named = sparse.csr_matrix(
                (np.ones(len(sub.data), np.float32), (sub.row, ks[sub.col])), shape=named.shape
            )
        self._inferred = named[:n] if cfg.inferred else None
        self.inferred_needs: dict[int, list[int]] = {}
        if cfg.inferred:
            scen = named[n:]
            for j, sc in enumerate(self.scenarios):
                caps = [self.cap_ids[p] for p in scen.indices[scen.indptr[j] : scen.indptr[j + 1]]]
                extra = [
                    c
                    for c in caps
                    if c not in sc.requirements
                    and self.taxonomy.parent(c) is not None
                    and not any(self.taxonomy.relation(c, r) for r in sc.requirements)
                ]
                if extra:
                    self.inferred_needs[j] = sorted(extra)

    def need_weights(self, j: int) -> dict[int, float]:
        """Scenario ``j``'s requirements as capability -> share (summing to 1): the declared
        ones with their weights, and the capabilities its text names without requiring them
        at ``INFERRED_NEED_WEIGHT`` of the mean declared weight (1 each when none is declared)."""
        sc = self.scenarios[j]
        declared = {c: float(w) for c, w in sc.requirements.items() if c in self.cap_pos}
        extra = self.inferred_needs.get(j, [])
        unit = INFERRED_NEED_WEIGHT * (sum(declared.values()) / len(declared)) if declared else 1.0
        weights = {**declared, **dict.fromkeys(extra, unit)}
        total = sum(weights.values())
        return {c: w / total for c, w in weights.items()} if total > 0 else {}

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
        text *= self.text_scale(rows, text)[:, None]
        if self.config.absolute_text:
            np.minimum(text, np.float32(1.0), out=text)
        return coverage, text, track

    def text_scale(self, rows: np.ndarray, text: np.ndarray) -> np.ndarray:
        """Per scenario row, what turns raw BM25 into the text signal in [0, 1].

        Absolute (the default): the share of the most a company could score on the scenario's
        terms, so that ``TEXT_FULL`` of it counts as a full match; the signal does not depend
        on the other companies, which is what makes the fit score comparable across scenarios
        and a threshold meaningful. Legacy: relative to the best company for the scenario."""
        if self.config.absolute_text:
            ref = self.text.query_max[rows] * np.float32(TEXT_FULL)
        else:
            ref = text.max(axis=1) if text.shape[1] else np.zeros(len(rows), np.float32)
        return np.divide(1.0, ref, out=np.zeros(len(rows)), where=ref > 0).astype(np.float32)

    def _combine(self, rows: np.ndarray, coverage, text, track) -> np.ndarray:
        """The weighted total; reuses ``coverage``'s memory (callers that need the separate
        signals afterwards pass copies)."""
        cfg = self.config
        has = self.has_requirements[rows]
        w_text = np.where(has, cfg.w_text, cfg.w_text + cfg.w_coverage).astype(np.float32)[:, None]
        total = coverage
        total *= np.float32(cfg.w_coverage)
        if cfg.context > 0:  # capabilities count fully only where the texts meet
            total *= np.float32(1 - cfg.context) + np.float32(cfg.context) * text
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
        text normalised and weighted in place (when coverage does not depend on the text)."""
        cfg = self.config
        if cfg.context > 0:
            return self._combine(rows, *self._signals(rows))
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
        w_text = np.where(self.has_requirements[rows], cfg.w_text, cfg.w_text + cfg.w_coverage)
        scale = self.text_scale(rows, text)
        if cfg.absolute_text:
            text *= scale[:, None]
            np.minimum(text, np.float32(1.0), out=text)
            text *= w_text.astype(np.float32)[:, None]
        else:
            text *= (scale * w_text).astype(np.float32)[:, None]
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
