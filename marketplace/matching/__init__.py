"""Matching scenarios to member companies, both ways, with explanations and consortium teams.

Owns: the pure scoring engine over plain data (``model`` dataclasses -> ``scoring.MatchEngine``
matrices: capability coverage with partial credit through the taxonomy and evidence weighting,
BM25 text relevance over character bigrams plus concept tokens from ``concepts`` and the
taxonomy's synonyms, and track record from past awards and projects), readable Chinese
explanations (``explain``), exact minimum consortium covers (``consortium``), the TF-IDF
baseline (``baseline``), the labelled-set evaluation run in a sandboxed temporary database
(``evaluate``), the ``matches`` / ``eval-matching`` commands (``cli``), and the service
(``services``) that loads the domains' tables, caches the engine by a data fingerprint and
answers "which members for this scenario", "which open scenarios for this member" and "which
team". It reads the domains' tables; no domain service imports it.
"""
