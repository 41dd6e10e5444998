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
from typing import cast

from marketplace.matching.concepts import CONCEPTS

_ASCII_WORD = re.compile(r"[a-z0-9][a-z0-9.+#-]*[a-z0-9+#]|[a-z0-9]")


def normalize_text(text: str) -> str:
    """NFKC (full-width -> half-width) and casefold; whitespace kept as separators."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def char_bigrams(text: str) -> list[str]:
    """Overlapping bigrams inside each run of CJK characters; a lone CJK character is kept as a
    unigram so one-character texts are not empty. ``text`` must be normalised."""
    out: list[str] = []
    for run in _CJK_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(map(str.__add__, run[:-1], run[1:]))
    return out


def ascii_words(text: str) -> list[str]:
    return _ASCII_WORD.findall(text)


@dataclass(frozen=True)
class ConceptHit:
    token: str  # "k:label" or "c:id"
    surface: str  # the form as it appears (normalised)


@dataclass
class ConceptMatcher:
    """Finds every surface form of every concept in a text.

    Forms are indexed by a key the text's own terms reveal: the first CJK bigram of a form that
    starts with Chinese, the first ASCII word of one that starts with letters or digits. Only the
    buckets whose key is among the text's terms are tried (``form in text``), so the cost grows
    with the text, not with the dictionary. ASCII forms match whole words only, because the key
    is a whole ASCII word of the text ("ai" does not hit inside "email").
    """

    forms: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key -> [(form, token)]
    labels: dict[str, str] = field(default_factory=dict)  # token -> readable label
    keys: set[str] = field(default_factory=set)

    def add(self, token: str, label: str, words) -> None:
        self.labels.setdefault(token, label)
        for word in words:
            form = "".join(normalize_text(word).split())
            if not form:
                continue
            if _is_cjk(form[0]):
                grams = char_bigrams(form)
                key = grams[0] if grams else form
            else:
                found = ascii_words(form)
                if not found or not form.startswith(found[0]):
                    continue
                key = found[0]
            bucket = self.forms.setdefault(key, [])
            self.keys.add(key)
            if (form, token) not in bucket:
                bucket.append((form, token))

    def find(self, text: str, keys: set[str] | None = None) -> list[ConceptHit]:
        """Concept hits in ``text`` (normalised), one per (token, surface form). ``keys`` are
        the text's bigrams and ASCII words when the caller already has them."""
        if keys is None:
            keys = set(char_bigrams(text)) | set(ascii_words(text))
        hits: dict[tuple[str, str], None] = {}
        for key in self.keys.intersection(keys):
            for form, token in self.forms[key]:
                if form == key or form in text:
                    if not _is_cjk(form[-1]) and len(form) > len(key) and not _ascii_end_ok(text, form):
                        continue
                    hits.setdefault((token, form), None)
        return [ConceptHit(token, surface) for token, surface in hits]


def _ascii_end_ok(text: str, form: str) -> bool:
    """A form ending in a letter or digit must not run on into a longer ASCII word."""
    start = text.find(form)
    while start >= 0:
        end = start + len(form)
        if end >= len(text) or not _is_ascii_alnum(text[end]):
            return True
        start = text.find(form, start + 1)
    return False


def build_matcher(
    taxonomy_words: dict[int, tuple[str, list[str]]] | None = None, *, use_dictionary: bool = True
) -> ConceptMatcher:
    """A matcher over the domain dictionary and the taxonomy.

    ``taxonomy_words`` maps a capability id to (its name, all its words: name, English name,
    key-free synonyms). Group nodes can be included; their token is ``c:<id>`` like leaves.
    """
    matcher = ConceptMatcher()
    if use_dictionary:
        for label, words in CONCEPTS.items():
            matcher.add(f"k:{label}", label, words)
    for cap_id, (name, cap_words) in (taxonomy_words or {}).items():
        matcher.add(f"c:{cap_id}", name, cap_words)
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
    hits = matcher.find(norm, set(terms)) if matcher is not None else []
    # Counter values may be any number (a concept counts ``concept_weight``); typeshed says int.
    weights = cast(dict[str, float], terms)
    for hit in hits:  # each distinct surface form of a concept counts once
        weights[hit.token] += concept_weight
    return Analyzed(terms=terms, concepts=hits)


# Function words and generic verbs that make a poor explanation ("以及", "提升"); used only to
# trim the phrases shown to people, never in scoring.
EDGE_CHARS = set("的和与及或并等在对为了是把被将由从向以其该各")
GENERIC_WORDS = {
    "以及",
    "提升",
    "提高",
    "实现",
    "进行",
    "开展",
    "处理",
    "提示",
    "相关",
    "需要",
    "通过",
    "能够",
    "可以",
    "工作",
    "情况",
    "问题",
    "系统",
    "平台",
    "服务",
    "数据",
    "管理",
    "建设",
    "应用",
    "自动",
    "智能",
    "支持",
    "提供",
    "形成",
    "推动",
    "加强",
    "有效",
    "及时",
    "全区",
    "园区",
    "企业",
    "部门",
}


def tidy_phrase(phrase: str) -> str:
    """Trim function characters from both ends; '' when nothing specific is left."""
    while phrase and phrase[0] in EDGE_CHARS:
        phrase = phrase[1:]
    while phrase and phrase[-1] in EDGE_CHARS:
        phrase = phrase[:-1]
    if len(phrase) < 2 or phrase in GENERIC_WORDS:
        return ""
    return phrase


def common_phrases(query: str, doc_bigrams: set[str], *, min_len: int = 2) -> list[str]:
    """Maximal substrings of ``query`` (normalised) whose every bigram occurs in the document:
    the readable form of "these characters matched" (e.g. 热线工单 rather than 热线, 线工, 工单)."""
    norm = normalize_text(query)
    phrases: list[str] = []
    i, n = 0, len(norm)
    while i < n - 1:
        if _is_cjk(norm[i]) and _is_cjk(norm[i + 1]) and norm[i : i + 2] in doc_bigrams:
            j = i + 1
            while j + 1 < n and _is_cjk(norm[j + 1]) and norm[j : j + 2] in doc_bigrams:
                j += 1
            phrase = norm[i : j + 1]
            if len(phrase) >= min_len and phrase not in phrases:
                phrases.append(phrase)
            i = j + 1
        else:
            i += 1
    return phrases
