"""Pinyin forms of Chinese text and the distance between two pronunciations (pure functions).

Chinese users type through a pinyin input method, so their typos are homophones: 数字挛生 for
数字孪生, 扬层 for 扬尘 (a near homophone: ceng for chen). Meilisearch no longer folds Chinese to
pinyin (PITFALLS), so this module gives every text its pronunciation with ``pypinyin`` and lets
``vocabulary`` compare a query with known words by sound:

* ``spell(text)``: one ``Syllable`` per character: the toneless readings of a Han character (a
  polyphone has several: 长 chang/zhang), or the lowered text of a run of letters and digits.
* ``full(text)`` / ``initials(text)``: 数字孪生 -> ``shuziluansheng`` / ``szls``.
* ``segment(letters)``: pure pinyin input split into syllables (``shuzi luansheng`` ->
  shu zi luan sheng), or None when it is not pinyin.
* ``syllable_cost`` / ``window_cost``: an edit distance at the level of syllables, where the
  confusions of a pinyin keyboard (z/zh, c/ch, s/sh, l/n, f/h, en/eng, in/ing, an/ang) cost less.

ü is written u (pypinyin writes v): 绿 and 路 sound alike enough for search.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from pypinyin import Style, pinyin

Readings = tuple[str, ...]

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[0-9a-z]+")
_VOWELS = set("aeiou")

# The confusions of a pinyin keyboard (and of southern accents): each costs less than half a
# syllable, so two of them (ceng for chen) still sound closer than a wrong syllable.
FUZZY_COST = 0.4
_FUZZY_INITIALS = {
    frozenset(p) for p in (("z", "zh"), ("c", "ch"), ("s", "sh"), ("l", "n"), ("f", "h"), ("r", "l"))
}
_FUZZY_FINALS = {
    frozenset(p)
    for p in (("en", "eng"), ("in", "ing"), ("an", "ang"), ("ian", "iang"), ("uan", "uang"), ("on", "ong"))
}
_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)


def fold(text: str) -> str:
    """Width, case and ü folded: what a user may type for the same word."""
    return unicodedata.normalize("NFKC", text).casefold().replace("ü", "u").replace("v", "u")


def _toneless(reading: str) -> str:
    stripped = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    return fold(stripped)


@functools.cache
def syllables() -> frozenset[str]:
    """Every toneless syllable pypinyin knows (with a vowel: no interjections like hm or ng)."""
    from pypinyin.pinyin_dict import pinyin_dict

    found = set()
    for value in pinyin_dict.values():
        for reading in value.split(","):
            syllable = _toneless(reading)
            if syllable.isascii() and syllable.isalpha() and _VOWELS & set(syllable):
                found.add(syllable)
    return frozenset(found)


class Syllable(NamedTuple):
    """One character's readings (a Han character), or one run of letters/digits (``han`` False).
    A named tuple: compared and hashed at C speed, as a query compares many of them."""

    readings: Readings
    han: bool

    @property
    def first(self) -> str:
        return self.readings[0]


@functools.lru_cache(maxsize=100_000)
def spell(text: str) -> tuple[Syllable, ...]:
    """The pronunciation of ``text``: a ``Syllable`` per Han character (every reading, the one of
    the phrase first) and per run of letters or digits; other characters are left out."""
    out: list[Syllable] = []
    for match in WORD.finditer(fold(text)):
        token = match.group(0)
        if _HAN.fullmatch(token):
            out.append(Syllable(_han_readings(token), True))
        else:
            out.append(Syllable((token,), False))
    if any(s.han for s in out):
        # Readings in context (the phrase dictionary picks 行 hang in 银行) go first.
        han_text = "".join(m.group(0) for m in _HAN.finditer(fold(text)))
        context = [_toneless(r[0]) for r in pinyin(han_text, style=Style.TONE)]
        han = iter(context)
        out = [
            Syllable((first := next(han), *(r for r in s.readings if r != first)), True) if s.han else s
            for s in out
        ]
    return tuple(out)


@functools.lru_cache(maxsize=20_000)
def _han_readings(char: str) -> Readings:
    readings: list[str] = []
    for reading in pinyin(char, style=Style.TONE, heteronym=True)[0]:
        toneless = _toneless(reading)
        if toneless not in readings:
            readings.append(toneless)
    return tuple(readings)


def full(text: str) -> str:
    """数字孪生 -> shuziluansheng (the reading in context; letters and digits kept, lowered)."""
    return "".join(s.first for s in spell(text))


def initials(text: str) -> str:
    """数字孪生 -> szls: the first letter of each Han character's reading (others left out)."""
    return "".join(s.first[0] for s in spell(text) if s.han)


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


def segment(text: str) -> list[str] | None:
    """Pure pinyin input split into the fewest syllables (spaces and apostrophes are boundaries
    the user chose), or None when some part is not pinyin. ``shuzi luansheng`` -> shu zi luan
    sheng; ``xi'an`` -> xi an."""
    known = syllables()
    out: list[str] = []
    for part in re.split(r"[\s']+", fold(text).strip()):
        if not part:
            continue
        if not part.isascii() or not part.isalpha():
            return None
        best: list[list[str] | None] = [None] * (len(part) + 1)
        best[0] = []
        for end in range(1, len(part) + 1):
            for start in range(max(0, end - 6), end):
                head = best[start]
                if head is not None and part[start:end] in known:
                    candidate = [*head, part[start:end]]
                    current = best[end]
                    if current is None or len(candidate) < len(current):
                        best[end] = candidate
        if best[-1] is None:
            return None
        out.extend(best[-1] or [])
    return out or None


def _split(syllable: str) -> tuple[str, str]:
    for initial in _INITIALS:
        if syllable.startswith(initial) and len(syllable) > len(initial):
            return initial, syllable[len(initial) :]
    return "", syllable


def _reading_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    initial_a, final_a = _split(a)
    initial_b, final_b = _split(b)
    cost = 0.0
    if initial_a != initial_b:
        cost += FUZZY_COST if frozenset((initial_a, initial_b)) in _FUZZY_INITIALS else 1.0
    if final_a != final_b:
        cost += FUZZY_COST if frozenset((final_a, final_b)) in _FUZZY_FINALS else 1.0
    return min(cost, 1.0)


@functools.lru_cache(maxsize=200_000)
def syllable_cost(a: Syllable, b: Syllable) -> float:
    """0 for the same sound (any reading of a polyphone), ``FUZZY_COST`` for each keyboard
    confusion (z/zh, en/eng ...), at most 1 (another syllable). Letters and digits must be equal."""
    if not (a.han and b.han):
        return 0.0 if a.readings[0] == b.readings[0] else 1.0
    return min(_reading_cost(x, y) for x in a.readings for y in b.readings)


def run_cost(query: tuple[Syllable, ...], word: tuple[Syllable, ...], start: int, limit: float) -> float:
    """The cost of comparing ``query`` with the syllables of ``word`` from ``start`` (substitutions
    only); stops counting once it passes ``limit``."""
    cost = 0.0
    for a, b in zip(query, word[start : start + len(query)], strict=True):
        if a != b:
            cost += syllable_cost(a, b)
            if cost > limit:
                break
    return cost


def window_cost(
    query: tuple[Syllable, ...], word: tuple[Syllable, ...], starts: Iterable[int] | None = None
) -> tuple[float, int]:
    """The cheapest run of ``len(query)`` syllables in ``word`` (among ``starts`` when given): its
    cost and where it starts; (inf, -1) when ``word`` is shorter."""
    best, where = float("inf"), -1
    n = len(query)
    for start in range(len(word) - n + 1) if starts is None else sorted(starts):
        if not 0 <= start <= len(word) - n:
            continue
        cost = run_cost(query, word, start, best)
        if cost < best:
            best, where = cost, start
            if cost == 0:
                break
    return best, where


def from_letters(parts: list[str]) -> tuple[Syllable, ...]:
    """Syllables typed as pinyin, as Han-like syllables (one reading each) to compare by sound."""
    return tuple(Syllable((p,), True) for p in parts)
