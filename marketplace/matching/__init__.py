"""Matching scenarios to member companies, both ways, with explanations and consortium teams.

Owns: the pure scoring engine over plain data (``model`` dataclasses -> ``scoring.MatchEngine``
matrices: capability coverage with partial credit through the taxonomy, evidence weighting and
capabilities or needs inferred from the texts, counted in context; BM25 text relevance over
jieba words (``text``, with the park's vocabulary as a user dictionary), character bigrams and
concept tokens from ``concepts``, the taxonomy's names and synonyms and links learned from
co-occurrence, with generic words weighing nothing; and track record from past awards and
projects), the calibrated 0-99 fit, its bands and the recommendation threshold (``fit``),
labels (``labels``), readable Chinese explanations that cite only capabilities, concepts,
projects and awards (``explain``), exact minimum consortium covers (``consortium``), the TF-IDF
baseline (``baseline``), the labelled-set evaluation and calibration run in a sandboxed
temporary database (``evaluate``), the ``matches`` / ``eval-matching`` commands (``cli``), and
the service (``services``) that loads the domains' tables, caches the engine by a data
fingerprint and answers "which members for this scenario", "which open scenarios for this
member" and "which team". It reads the domains' tables; no domain service imports it. The
previous engine stays runnable as ``scoring.MatchConfig.legacy()`` for comparison.
"""
