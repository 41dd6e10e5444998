"""Turning Chinese (and mixed ASCII) text into terms for text relevance.

Why character bigrams plus a concept dictionary, and not a segmenter or embeddings:
- Chinese has no spaces; a general-purpose segmenter (jieba) splits domain words unpredictably
  (一网通办 -> 一网通|办) and needs a hand-kept dictionary anyway. Overlapping character
  bigrams need no dictionary, never lose a word to a wrong split, and are what Chinese IR
  systems use as a strong baseline (2-grams are about as good as words for retrieval).
- Bigrams only find shared *characters*. 工地扬尘 and 颗粒物传感 share none, so each text also
  gets concept tokens: every surface form of the domain dictionary (``concepts.py``) and every
  name/synonym of the capability taxonomy that occurs in the text adds that concept's token.
  This is the part that makes matching robust to wording, and it is plain data an admin can
  read and extend.
- No Chinese embedding model ships inside a registry package (checked November 2026), and
  nothing may be downloaded at run time.

Terms are strings: ``"扬尘"`` (a bigram), ``"asr"`` (an ASCII word), ``"k:大气颗粒物"`` (a
dictionary concept), ``"c:12"`` (capability 12 of the taxonomy, by any of its names).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from marketplace.matching.concepts import CONCEPTS

_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*[a-z0-9+#]|[a-z0-9]")


def normalize_text(text: str) -> str:
    """NFKC (full-width -> half-width) and casefold; whitespace kept as separators."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def char_bigrams(text: str) -> list[str]:
    """Overlapping bigrams inside each run of CJK characters; a lone CJK character is kept as a
    unigram so one-character texts are not empty. ``text`` must be normalised."""
    out: list[str] = []
    run: list[str] = []
    for ch in text + " ":
        if _is_cjk(ch):
            run.append(ch)
            continue
        if len(run) == 1:
            out.append(run[0])
        else:
            out.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        run = []
    return out


def ascii_words(text: str) -> list[str]:
    return _ASCII_WORD.findall(text)


@dataclass(frozen=True)
class ConceptHit:
    token: str  # "k:label" or "c:id"
    surface: str  # the form as it appears (normalised)


@dataclass
class ConceptMatcher:
    """Finds every surface form of every concept in a text, in one pass over its positions.

    Forms are indexed by their first two characters, so the cost is one dictionary lookup per
    position plus a ``startswith`` per candidate form, whatever the size of the dictionary.
    """

    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # first2 -> [(form, token)]
    single: dict[str, list[str]] = field(default_factory=dict)  # one-character forms
    labels: dict[str, str] = field(default_factory=dict)  # token -> readable label

    def add(self, token: str, label: str, words) -> None:
        self.labels[token] = label
        for word in words:
            form = "".join(normalize_text(word).split())
            if not form:
                continue
            if len(form) == 1:
                self.single.setdefault(form, []).append(token)
                continue
            bucket = self.forms.setdefault(form[:2], [])
            if (form, token) not in bucket:
                bucket.append((form, token))
        for bucket in self.forms.values():
            bucket.sort(key=lambda ft: -len(ft[0]))

    def find(self, text: str) -> list[ConceptHit]:
        """Concept hits in ``text`` (normalised), one per (token, surface) pair. ASCII forms
        must stand as whole words (so "ai" does not hit inside "email")."""
        hits: dict[tuple[str, str], None] = {}
        n = len(text)
        for i in range(n - 1):
            bucket = self.forms.get(text[i:i + 2])
            if not bucket:
                continue
            for form, token in bucket:
                if not text.startswith(form, i):
                    continue
                end = i + len(form)
                if _is_ascii_alnum(form[0]) and i > 0 and _is_ascii_alnum(text[i - 1]):
                    continue
                if _is_ascii_alnum(form[-1]) and end < n and _is_ascii_alnum(text[end]):
                    continue
                hits.setdefault((token, form), None)
        return [ConceptHit(token, surface) for token, surface in hits]


def build_matcher(taxonomy_words: dict[int, tuple[str, list[str]]] | None = None,
                  *, use_dictionary: bool = True) -> ConceptMatcher:
    """A matcher over the domain dictionary and the taxonomy.

    ``taxonomy_words`` maps a capability id to (its name, all its words: name, English name,
    key-free synonyms). Group nodes can be included; their token is ``c:<id>`` like leaves.
    """
    matcher = ConceptMatcher()
    if use_dictionary:
        for label, words in CONCEPTS.items():
            matcher.add(f"k:{label}", label, words)
    for cap_id, (name, words) in (taxonomy_words or {}).items():
        matcher.add(f"c:{cap_id}", name, words)
    return matcher


@dataclass
class Analyzed:
    """A text as counted terms, and the concept hits (kept for explanations)."""

    terms: Counter
    concepts: list[ConceptHit]


def analyze(text: str, matcher: ConceptMatcher | None, *, concept_weight: float = 1.0) -> Analyzed:
    norm = normalize_text(text)
    terms: Counter = Counter(char_bigrams(norm))
    terms.update(ascii_words(norm))
    hits = matcher.find(norm) if matcher is not None else []
    for hit in hits:  # each distinct surface form of a concept counts once
        terms[hit.token] += concept_weight
    return Analyzed(terms=terms, concepts=hits)


def common_phrases(query: str, doc_bigrams: set[str], *, min_len: int = 2) -> list[str]:
    """Maximal substrings of ``query`` (normalised) whose every bigram occurs in the document:
    the readable form of "these characters matched" (e.g. 热线工单 rather than 热线, 线工, 工单)."""
    norm = normalize_text(query)
    phrases: list[str] = []
    i, n = 0, len(norm)
    while i < n - 1:
        if _is_cjk(norm[i]) and _is_cjk(norm[i + 1]) and norm[i:i + 2] in doc_bigrams:
            j = i + 1
            while j + 1 < n and _is_cjk(norm[j + 1]) and norm[j:j + 2] in doc_bigrams:
                j += 1
            phrase = norm[i:j + 1]
            if len(phrase) >= min_len and phrase not in phrases:
                phrases.append(phrase)
            i = j + 1
        else:
            i += 1
    return phrases
