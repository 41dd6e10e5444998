"""Turning Chinese (and mixed ASCII) text into terms for text relevance.

Three kinds of term, so matching does not rest on one hand-written list:
- words: jieba (its dictionary ships inside the PyPI package, nothing is downloaded) with the
  park's own vocabulary (the concept dictionary and the capability taxonomy) added as a user
  dictionary, so 一网通办 and 共享单车 stay whole;
- overlapping character bigrams, which never lose a word to a wrong split;
- concept tokens: every surface form of the domain dictionary (``concepts.py``) and every
  name/synonym of the capability taxonomy that occurs in the text adds that concept's token, so
  工地扬尘 and 颗粒物传感 meet although they share no character. The engine adds links learned
  from co-occurrence in the corpus on top (``scoring.learn_links``).
Generic words (``STOP_WORDS``, reviewed here, plus whatever occurs in a large share of all
texts) weigh nothing: they are neither scored nor ever shown as a reason.

No Chinese embedding model ships its weights inside a registry package (checked November
2026), and nothing may be downloaded at run time.

Terms are strings: ``"扬尘"`` (a bigram), ``"w:共享单车"`` (a jieba word), ``"asr"`` (an ASCII
word), ``"k:大气颗粒物"`` (a dictionary concept), ``"c:12"`` (capability 12 of the taxonomy, by
any of its names).
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import cast

import jieba

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


# The reviewed stop list: words that occur in any government-IT text and say nothing about
# what a scenario needs or what a company can do. They weigh nothing in scoring (as words and
# as bigrams) and are never shown as a reason. Words that are specific in one corpus but common
# in another are left to the document-frequency rule (``scoring.GENERIC_DF_SHARE``) instead.
_STOP_LIST = """
    系统 平台 建设 完成 计算 提供 服务 数据 管理 应用 智能 实现 提升 提高 进行 开展 处理 相关
    需要 需求 通过 能够 可以 工作 情况 问题 支持 形成 推动 加强 有效 及时 全区 园区 企业 部门
    公司 技术 产品 方案 解决方案 项目 客户 用户 信息 信息化 数字化 智慧 能力 功能 模块 一体化
    综合 全面 整体 统一 实时 自动 自动化 业务 运营 运行 建立 构建 打造 搭建 开发 研发 集成
    接入 对接 覆盖 优化 升级 改造 效率 质量 水平 成本 目标 要求 以及 其中 每年 每天 目前 现有
    已经 主要 重点 各类 多个 大量 人员 工作人员 单位 机构 中心 提示 手段 方式 方法 模式 体系
    机制 流程 环节 过程 结果 效果 作用 基础 核心 关键 领域 行业 场景 内容 资源 工具 环境 分析
    指挥 评价 统计 上报 采集 汇总 展示 查询 发现 记录 管控 保障 精准 高效 便捷 安全 创新
    服务商 合作 经验 团队 专业 领先 国内 全国 多家 累计 超过 以上 左右 一套 一批 一个 不同
    我们 为了 由于 因此 但是 并且 同时 还是 或者 正在 通常 上线 部署 交付 试点
"""
STOP_WORDS = frozenset(_STOP_LIST.split())
_SEGMENTER: jieba.Tokenizer | None = None
_SEGMENTER_WORDS: set[str] = set()
_SEGMENTER_LOCK = threading.Lock()


def segmenter(extra_words=()) -> jieba.Tokenizer:
    """The process's jieba tokenizer with the park's vocabulary as a user dictionary: every
    word of the concept dictionary, plus ``extra_words`` (the taxonomy's names and synonyms).
    Built once from the dictionary inside the jieba package; words are only ever added."""
    global _SEGMENTER
    with _SEGMENTER_LOCK:
        if _SEGMENTER is None:
            jieba.setLogLevel(logging.WARNING)
            tok = jieba.Tokenizer()
            tok.initialize()
            _SEGMENTER = tok
            extra_words = [*(w for words in CONCEPTS.values() for w in words), *extra_words]
        for word in extra_words:
            form = "".join(normalize_text(word).split())
            if len(form) >= 2 and _is_cjk(form[0]) and form not in _SEGMENTER_WORDS:
                _SEGMENTER_WORDS.add(form)
                _SEGMENTER.add_word(form)
        return _SEGMENTER


def cjk_words(text: str, tok: jieba.Tokenizer) -> list[str]:
    """jieba words of two or more Chinese characters in ``text`` (normalised), stop words out."""
    return [
        w
        for run in _CJK_RUN.findall(text)
        for w in tok.cut(run, HMM=False)
        if len(w) >= 2 and w not in STOP_WORDS
    ]


def analyze(
    text: str,
    matcher: ConceptMatcher | None,
    *,
    concept_weight: float = 1.0,
    tok: jieba.Tokenizer | None = None,
    stop_words: bool = False,
) -> Analyzed:
    """Counted terms of ``text``: bigrams and ASCII words, jieba words (``w:``) when ``tok`` is
    given, concept tokens from ``matcher``; ``stop_words`` drops the stop list's bigrams."""
    norm = normalize_text(text)
    grams = char_bigrams(norm)
    terms: Counter = Counter(g for g in grams if g not in STOP_WORDS) if stop_words else Counter(grams)
    terms.update(ascii_words(norm))
    keys = set(grams) | set(terms)
    if tok is not None:
        terms.update("w:" + w for w in cjk_words(norm, tok))
    hits = matcher.find(norm, keys) if matcher is not None else []
    # Counter values may be any number (a concept counts ``concept_weight``); typeshed says int.
    weights = cast(dict[str, float], terms)
    for hit in hits:  # each distinct surface form of a concept counts once
        weights[hit.token] += concept_weight
    return Analyzed(terms=terms, concepts=hits)
