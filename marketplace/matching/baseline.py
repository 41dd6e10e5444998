"""The baseline every figure is reported beside: plain TF-IDF over character bigrams.

Scenario title, summary and description against the company's description only, cosine
similarity, no dictionary, no taxonomy, no evidence, no track record. It is what a developer
would write first, and what the engine has to beat clearly to earn its complexity.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from scipy import sparse

from marketplace.matching.model import CompanyData, ScenarioData
from marketplace.matching.scoring import TermMatrix, top_indexes, top_k_per_company
from marketplace.matching.text import ascii_words, char_bigrams, normalize_text


def _terms(text: str) -> Counter:
    norm = normalize_text(text)
    return Counter(char_bigrams(norm) + ascii_words(norm))


class BaselineRanker:
    """TF-IDF (log tf, smooth idf, L2-normalised) cosine between scenario and company texts."""

    def __init__(self, companies: list[CompanyData], scenarios: list[ScenarioData]):
        self.companies = companies
        self.scenarios = scenarios
        vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        for i, c in enumerate(companies):
            for term, term_tf in _terms(c.description).items():
                rows.append(i)
                cols.append(vocab.setdefault(term, len(vocab)))
                vals.append(term_tf)
        n_docs, n_terms = len(companies), len(vocab)
        tf = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(n_docs, n_terms))
        df = np.bincount(tf.indices, minlength=n_terms)
        self.idf = (np.log((1 + n_docs) / (1 + df)) + 1).astype(np.float32)
        docs = self._weigh(tf)
        q_rows, q_cols, q_vals = [], [], []
        for j, s in enumerate(scenarios):
            for term, count in _terms("\n".join([s.title, s.summary, s.description])).items():
                col = vocab.get(term)
                if col is not None:
                    q_rows.append(j)
                    q_cols.append(col)
                    q_vals.append(count)
        q = sparse.csr_matrix(
            (np.array(q_vals, dtype=np.float32), (q_rows, q_cols)), shape=(len(scenarios), n_terms)
        )
        self.queries = self._weigh(q).tocsr()
        self.docs = TermMatrix(docs.T.tocsr())

    def _weigh(self, tf: sparse.csr_matrix) -> sparse.csr_matrix:
        out = tf.copy()
        out.data = (1 + np.log(out.data)) * self.idf[out.indices]
        norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return sparse.diags(1 / norms) @ out

    def score_block(self, rows: np.ndarray) -> np.ndarray:
        return self.docs.product(self.queries[rows])

    def rank_companies(
        self, scenario_index: int, *, company_mask: np.ndarray | None = None, limit: int | None = None
    ) -> np.ndarray:
        total = self.score_block(np.array([scenario_index]))[0]
        return top_indexes(total, limit, valid=company_mask)

    def recommend_all(
        self,
        k: int,
        *,
        scenario_mask: np.ndarray | None = None,
        block: int = 512,
        company_rows: np.ndarray | None = None,
    ):
        return top_k_per_company(
            self.score_block,
            len(self.scenarios),
            len(self.companies),
            k,
            scenario_mask=scenario_mask,
            block=block,
            company_rows=company_rows,
        )
