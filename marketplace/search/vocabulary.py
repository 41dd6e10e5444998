"""The words people search for, with their pinyin: as-you-type suggestions and "did you mean".

A ``Vocabulary`` is built from public data only (``suggest.load_vocabulary`` reads it): titles of
public scenarios (or names of published member companies), the capability taxonomy's names and
synonyms, the park's concept dictionary (``matching.concepts``) and the programme words
(``indexes.PROGRAMME_WORDS``). Everything here is a pure function of that list of words.

* ``suggest(vocabulary, q)``: words that start with or contain what was typed, in characters,
  in pinyin (``shuz`` -> 数字孪生), in initials (``szl``), or by sound (数字挛 -> 数字孪生).
* ``correct(vocabulary, q)``: a query that sounds like ``q`` and names known words: 数字挛生 ->
  数字孪生 (a homophone), 扬层 -> 扬尘 (a near one: ceng/chen), ``shuzi luansheng`` -> 数字孪生
  (pure pinyin), ``szls`` -> 数字孪生 (initials, only when one word has them). Words that are
  already known are left as they are.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from marketplace.search.pinyin import (
    FUZZY_COST,
    WORD,
    Syllable,
    fold,
    from_letters,
    full,
    has_han,
    initials,
    segment,
    spell,
    syllable_cost,
    syllables,
    window_cost,
)

MIN_INDEXED_INITIALS = 3  # szls is a word; yc is too many
MAX_SUGGESTIONS = 8
MAX_OPTIONS = 3
# Kinds first in the list when two suggestions rank alike: words before titles and names.
KIND_ORDER = {"capability": 0, "term": 1, "scenario": 2, "company": 2}


@dataclass(frozen=True)
class Term:
    """One word or title. ``ref``: the scenario or company it names (None for words)."""

    text: str
    kind: str
    ref: int | None = None


@dataclass
class _Entry:
    term: Term
    folded: str
    syllables: tuple[Syllable, ...]  # every reading of each character (for pinyin typed)
    usual: tuple[Syllable, ...]  # the reading in context only (for characters typed)
    at_any: dict[str, tuple[int, ...]]  # reading -> where in ``syllables`` it is
    at_usual: dict[str, tuple[int, ...]]  # reading -> where in ``usual`` it is
    spans: tuple[tuple[int, int], ...]  # each syllable's characters in ``text``
    full: str
    initials: str
    han: bool  # holds Chinese characters (pinyin applies)
    mentions: int = 0  # titles and names that hold this word: the more, the earlier it is offered


@dataclass
class Vocabulary:
    entries: list[_Entry] = field(default_factory=list)
    # reading -> the entries holding it (to compare by sound only with words sharing a syllable)
    by_reading: dict[str, set[int]] = field(default_factory=dict)
    # initials -> the entries of Chinese characters only with them (szls -> 数字孪生)
    by_initials: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: str
    ref: int | None
    how: str  # "text", "pinyin", "initials" or "sound"


@dataclass(frozen=True)
class Correction:
    """Queries that may be what the user meant, best first. ``confident``: one clear best (a
    page with no results shows its results at once)."""

    options: tuple[str, ...]
    confident: bool

    @property
    def best(self) -> str:
        return self.options[0]


def usual(syllables: tuple[Syllable, ...]) -> tuple[Syllable, ...]:
    """Each character with its reading in context only. Typed characters are compared this way:
    an input method picked them by their usual reading, and rare readings (草 also zao) would
    make 草稿 sound like 噪声."""
    return tuple(Syllable((s.first,), s.han) for s in syllables)


def _positions(spelled: tuple[Syllable, ...]) -> dict[str, tuple[int, ...]]:
    at: dict[str, list[int]] = {}
    for i, syllable in enumerate(spelled):
        for reading in syllable.readings:
            at.setdefault(reading, []).append(i)
    return {reading: tuple(where) for reading, where in at.items()}


def _spans(text: str, syllables: tuple[Syllable, ...]) -> tuple[tuple[int, int], ...]:
    """Where each syllable's characters are in ``text`` (the folded text when folding changed
    its length, which only width forms and ligatures do)."""
    folded = fold(text)
    spans = tuple((m.start(), m.end()) for m in WORD.finditer(folded))
    return spans if len(spans) == len(syllables) else ()


def build(terms: list[Term]) -> Vocabulary:
    """The vocabulary of ``terms`` (duplicates of one text and kind are kept once)."""
    vocabulary = Vocabulary()
    syllables()  # the table of pinyin syllables, read once here rather than on a query
    seen: set[tuple[str, str]] = set()
    for term in terms:
        text = " ".join(term.text.split())
        if not text or (fold(text), term.kind) in seen:
            continue
        seen.add((fold(text), term.kind))
        spelled = spell(text)
        entry = _Entry(
            term=Term(text, term.kind, term.ref),
            folded=fold(text),
            syllables=spelled,
            usual=usual(spelled),
            at_any=_positions(spelled),
            at_usual=_positions(usual(spelled)),
            spans=_spans(text, spelled),
            full=full(text),
            initials=initials(text),
            han=has_han(text),
        )
        index = len(vocabulary.entries)
        vocabulary.entries.append(entry)
        if entry.initials and len(entry.initials) == len(spelled):
            vocabulary.by_initials.setdefault(entry.initials, []).append(index)
        for syllable in spelled:
            for reading in syllable.readings:
                vocabulary.by_reading.setdefault(reading, set()).add(index)
    _count_mentions(vocabulary)
    return vocabulary


def _count_mentions(vocabulary: Vocabulary) -> None:
    """How many titles (or names) hold each word, found by its first character."""
    words: dict[str, list[_Entry]] = {}
    for entry in vocabulary.entries:
        if entry.term.ref is None and entry.folded:
            words.setdefault(entry.folded[0], []).append(entry)
    for entry in vocabulary.entries:
        if entry.term.ref is None:
            continue
        text = entry.folded
        found: set[int] = set()
        for i, char in enumerate(text):
            for word in words.get(char, ()):
                if id(word) not in found and text.startswith(word.folded, i):
                    found.add(id(word))
                    word.mentions += 1


def _allowed(n: int) -> float:
    """How far (in ``syllable_cost`` units) a query of ``n`` syllables may sound from a word: two
    syllables only by keyboard confusions (扬层 ceng/chen; not 草稿 -> 广告, a whole syllable),
    longer words by one other syllable, or a third of them."""
    if n < 2:
        return 0.0
    if n == 2:
        return 2 * FUZZY_COST
    return max(1.0, round(n * 0.34, 2))


def _mostly_same(query: tuple[Syllable, ...], run: tuple[Syllable, ...]) -> bool:
    """At least half of the syllables sound the same: a correction may fix a few, not invent."""
    same = sum(1 for a, b in zip(query, run, strict=True) if syllable_cost(a, b) == 0)
    return 2 * same >= len(query)


def _sounds_like(entry: _Entry, query: tuple[Syllable, ...], typed_pinyin: bool) -> tuple[float, int]:
    """The cheapest run of ``entry`` that sounds like ``query`` and shares at least half of its
    syllables exactly (``_mostly_same``), as (cost, start); (inf, -1) when there is none. Only
    runs that share one syllable at its place are compared: the others cannot qualify."""
    sounds = entry.syllables if typed_pinyin else entry.usual
    at = entry.at_any if typed_pinyin else entry.at_usual
    starts = {p - j for j, s in enumerate(query) for r in s.readings for p in at.get(r, ())}
    cost, start = window_cost(query, sounds, starts)
    if start < 0 or not _mostly_same(query, sounds[start : start + len(query)]):
        return float("inf"), -1
    return cost, start


def _candidates(vocabulary: Vocabulary, query: tuple[Syllable, ...]) -> set[int]:
    found: set[int] = set()
    for syllable in query:
        for reading in syllable.readings:
            found |= vocabulary.by_reading.get(reading, set())
    return found


def _piece(entry: _Entry, start: int, n: int) -> str:
    """The characters of syllables ``start`` .. ``start + n`` of the entry."""
    if not entry.spans:
        return entry.term.text
    text = entry.term.text if len(entry.term.text) == len(entry.folded) else entry.folded
    return text[entry.spans[start][0] : entry.spans[start + n - 1][1]]


def _shared_chars(a: str, b: str) -> int:
    return sum(1 for x, y in zip(a, b, strict=False) if x == y)


def _by_sound(
    vocabulary: Vocabulary, word: str, query: tuple[Syllable, ...], typed_pinyin: bool
) -> list[tuple[tuple, str]]:
    """(rank key, the piece of a known word) for each word holding a run that sounds like
    ``query``, cheapest first. Pinyin typed is compared with every reading of a polyphone,
    characters typed with the usual reading only."""
    limit = _allowed(len(query))
    out: list[tuple[tuple, str]] = []
    candidates = _candidates(vocabulary, query)
    words = [i for i in candidates if vocabulary.entries[i].term.ref is None]
    titles = [i for i in candidates if vocabulary.entries[i].term.ref is not None]
    # Words (taxonomy, dictionary) first; titles and names only when no word sounds the same.
    for group in (words, titles):
        if any(key[0] == 0 for key, _ in out):
            break
        for index in group:
            entry = vocabulary.entries[index]
            cost, start = _sounds_like(entry, query, typed_pinyin)
            if start < 0 or cost > limit:
                continue
            piece = _piece(entry, start, len(query))
            if fold(piece) == fold(word):
                continue
            whole = len(entry.syllables) == len(query)
            shared = _shared_chars(fold(piece), fold(word))
            out.append(((cost, -shared, not whole, KIND_ORDER.get(entry.term.kind, 3)), piece))
    out.sort(key=lambda x: x[0])
    return out


def _known(vocabulary: Vocabulary, word: str) -> bool:
    folded = fold(word)
    return any(folded in entry.folded for entry in vocabulary.entries)


def _word_options(vocabulary: Vocabulary, word: str) -> tuple[list[str], bool]:
    """The known words ``word`` may stand for, best first, and whether the first is clearly best."""
    if _known(vocabulary, word):
        return [], False
    if has_han(word):
        query = usual(spell(word))
        if sum(1 for s in query if s.han) < 2:
            return [], False  # one character sounds like too many others
        ranked = _by_sound(vocabulary, word, query, typed_pinyin=False)
    else:
        parts = segment(word)
        ranked = (
            _by_sound(vocabulary, word, from_letters(parts), typed_pinyin=True)
            if parts and len(parts) >= 2
            else []
        )
        if not ranked:
            return _by_initials(vocabulary, word)
    options: list[str] = []
    keys: list[tuple] = []
    for key, piece in ranked:
        if piece not in options:
            options.append(piece)
            keys.append(key)
    confident = bool(options) and (len(keys) == 1 or keys[0][:2] < keys[1][:2])
    return options[:MAX_OPTIONS], confident


def _by_initials(vocabulary: Vocabulary, word: str) -> tuple[list[str], bool]:
    letters = fold(word)
    if len(letters) < 2 or not letters.isascii() or not letters.isalpha():
        return [], False
    texts: list[str] = []
    entries = [vocabulary.entries[i] for i in vocabulary.by_initials.get(letters, ())]
    for entry in sorted(entries, key=lambda e: (KIND_ORDER.get(e.term.kind, 3), len(e.term.text))):
        if entry.term.text not in texts:
            texts.append(entry.term.text)
    # Initials name a word only when one word has them: szls is 数字孪生, yc is many.
    return texts[:MAX_OPTIONS], len(texts) == 1


def correct(vocabulary: Vocabulary, q: str) -> Correction | None:
    """What ``q`` may have meant (each unknown word replaced by the known word that sounds like
    it), or None when nothing sounds close enough. ``shuzi luansheng`` is one word typed in pinyin:
    a query of letters only is first tried whole."""
    words = q.split()
    if not words or not vocabulary.entries:
        return None
    if len(words) > 1 and all(w.isascii() and w.isalpha() for w in words):
        options, confident = _word_options(vocabulary, "".join(words))
        if options:
            return Correction(tuple(options), confident)
    if len(words) == 1:
        options, confident = _word_options(vocabulary, words[0])
        return Correction(tuple(options), confident) if options else None
    corrected, changed, confident = [], False, True
    for word in words:
        options, sure = _word_options(vocabulary, word)
        corrected.append(options[0] if options else word)
        changed = changed or bool(options)
        confident = confident and (sure or not options)
    return Correction((" ".join(corrected),), confident) if changed else None


def suggest(vocabulary: Vocabulary, q: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
    """Words for the search box as ``q`` is typed: those starting with it first, then those
    containing it, then by pinyin, initials and sound."""
    text = fold(" ".join(q.split()))
    if not text:
        return []
    letters = "".join(text.split()).replace("'", "")
    pure_letters = letters.isascii() and letters.isalpha()
    query_sound = usual(spell(text)) if has_han(text) and sum(1 for s in spell(text) if s.han) >= 2 else ()
    ranked: list[tuple[tuple, Suggestion]] = []
    by_letters = pure_letters and len(letters) >= 2
    for entry in vocabulary.entries:
        if text in entry.folded:
            rank, how = (0 if entry.folded.startswith(text) else 1), "text"
        elif by_letters and entry.han and entry.full.startswith(letters):
            rank, how = 2, "pinyin"
        elif by_letters and entry.initials.startswith(letters):
            rank, how = 3, "initials"
        else:
            continue
        term = entry.term
        tie = (-entry.mentions, KIND_ORDER.get(term.kind, 3), len(term.text), term.text)
        ranked.append(((rank, *tie), Suggestion(term.text, term.kind, term.ref, how)))
    if query_sound and len(ranked) < limit:
        shown = {s.text for _, s in ranked}
        # Words first, then titles (newest first) until the list is full.
        candidates = sorted(
            _candidates(vocabulary, query_sound),
            key=lambda i: (vocabulary.entries[i].term.ref is not None, i),
        )
        for index in candidates:
            entry = vocabulary.entries[index]
            if entry.term.text in shown:
                continue
            if entry.term.ref is not None and len(ranked) >= limit:
                break
            cost, start = _sounds_like(entry, query_sound, typed_pinyin=False)
            if start >= 0 and cost <= _allowed(len(query_sound)):
                term = entry.term
                tie = (-entry.mentions, KIND_ORDER.get(term.kind, 3), len(term.text), term.text)
                ranked.append(((4, cost, *tie), Suggestion(term.text, term.kind, term.ref, "sound")))
    ranked.sort(key=lambda x: x[0])
    out: list[Suggestion] = []
    seen: set[str] = set()
    for _, suggestion in ranked:
        if suggestion.text not in seen:
            seen.add(suggestion.text)
            out.append(suggestion)
        if len(out) == limit:
            break
    return out


@functools.cache
def dictionary_terms() -> tuple[Term, ...]:
    """The park's words that are not in the database: the concept dictionary of
    ``matching.concepts`` (labels and words) and the programme words."""
    from marketplace.matching.concepts import CONCEPTS
    from marketplace.search.indexes import PROGRAMME_WORDS

    terms = [Term(word, "term") for word in PROGRAMME_WORDS]
    for label, words in CONCEPTS.items():
        terms.append(Term(label, "term"))
        terms.extend(Term(word, "term") for word in words)
    return tuple(terms)


@functools.cache
def _dictionary_by_first_char() -> dict[str, tuple[str, ...]]:
    starts: dict[str, set[str]] = {}
    for term in dictionary_terms():
        if has_han(term.text):
            starts.setdefault(fold(term.text)[0], set()).add(fold(term.text))
    return {char: tuple(sorted(words)) for char, words in starts.items()}


def pinyin_forms(title: str, words: list[str]) -> list[str]:
    """What a search document indexes in its ``pinyin`` field: the full pinyin and (for words of
    three characters or more) the initials of every dictionary word in ``title`` and of each of
    ``words`` (capability names): 建筑工地扬尘智能监管 -> gongdi, yangchen, ... So a query typed in
    pinyin (yangchen, shuziluansheng, szls) finds the document in Meilisearch itself."""
    found: set[str] = {fold(w) for w in words if has_han(w)}
    text = fold(title)
    starts = _dictionary_by_first_char()
    for i, char in enumerate(text):
        for word in starts.get(char, ()):
            if text.startswith(word, i):
                found.add(word)
    forms: set[str] = set()
    for word in found:
        forms.add(full(word))
        if len(initials(word)) >= MIN_INDEXED_INITIALS:
            forms.add(initials(word))
    return sorted(forms)
