"""Explanations a bureau officer can read aloud: why this company for this scenario.

Built only for the rows shown (top results), in plain Python over the same plain data and the
same constants the matrices use, so the words always agree with the score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from marketplace.companies.labels import EVIDENCE_LABELS, SIZE_LABELS
from marketplace.matching.model import (
    AWARD_STATUS_LABELS,
    CompanyData,
    ScenarioData,
    company_text,
)
from marketplace.matching.scoring import (
    COVERED_AT,
    RELATION_CREDIT,
    TAG_CREDIT,
    MatchEngine,
    tag_capabilities,
)
from marketplace.matching.text import analyze, char_bigrams, common_phrases, normalize_text, tidy_phrase

RELATION_LABELS = {
    "exact": "",
    "child": "具备该类下的「{via}」",
    "parent": "仅申报了所属大类「{via}」",
    "sibling": "仅有同类相近能力「{via}」",
    "tag": "自填能力「{via}」",
}


@dataclass
class RequirementMatch:
    capability_id: int
    name: str
    weight: int
    credit: float  # 0..1, what the coverage signal counted
    relation: str | None = None  # exact | child | parent | sibling | tag | None (missing)
    via: str = ""  # the company's capability (or tag) that gave the credit
    evidence: str | None = None  # verified | past_project | self_declared
    project: str = ""  # a past project proving it, when there is one

    @property
    def covered(self) -> bool:
        return self.credit >= COVERED_AT


@dataclass
class ConceptMatch:
    label: str
    scenario_words: list[str]
    company_words: list[str]


@dataclass
class Explanation:
    coverage: float
    text: float
    track: float
    requirements: list[RequirementMatch] = field(default_factory=list)
    concepts: list[ConceptMatch] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    record: list[str] = field(default_factory=list)

    @property
    def covered(self) -> list[RequirementMatch]:
        return [r for r in self.requirements if r.covered]

    @property
    def partial(self) -> list[RequirementMatch]:
        return [r for r in self.requirements if 0 < r.credit < COVERED_AT]

    @property
    def missing(self) -> list[RequirementMatch]:
        return [r for r in self.requirements if r.credit == 0]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["covered"] = [r.capability_id for r in self.covered]
        out["missing"] = [r.capability_id for r in self.missing]
        out["summary"] = self.summary()
        return out

    def summary(self) -> str:
        """One paragraph in Chinese: capabilities (with evidence), missing ones, text, record."""
        parts = []
        if self.requirements:
            n, total = len(self.covered), len(self.requirements)
            items = []
            for r in self.covered:
                how = [EVIDENCE_LABELS.get(r.evidence or "", "")]
                if r.relation and r.relation != "exact":
                    how.insert(0, RELATION_LABELS[r.relation].format(via=r.via))
                if r.project:
                    how.append(f"案例「{r.project}」")
                items.append(f"{r.name}（{'，'.join(h for h in how if h)}）")
            text = f"所需能力覆盖 {n}/{total} 项"
            if items:
                text += "：" + "；".join(items)
            parts.append(text)
            if self.partial:
                parts.append(
                    "部分相关："
                    + "；".join(
                        f"{r.name}（{RELATION_LABELS[r.relation or ''].format(via=r.via)}）"
                        for r in self.partial
                    )
                )
            if self.missing:
                parts.append("缺少：" + "、".join(r.name for r in self.missing))
        else:
            parts.append("场景未列出所需能力，仅按文字相关度排序")
        words = []
        for c in self.concepts[:3]:
            s, o = "、".join(c.scenario_words[:2]), "、".join(c.company_words[:2])
            words.append(f"「{s}」与「{o}」同属{c.label}" if s != o else f"都提到「{s}」")
        if self.phrases:
            words.append("相同词语：" + "、".join(self.phrases[:4]))
        if words:
            parts.append("文字相关：" + "；".join(words))
        if self.record:
            parts.append("业绩：" + "；".join(self.record[:3]))
        return "。".join(parts) + "。"


def _requirements(
    engine: MatchEngine, scenario: ScenarioData, company: CompanyData
) -> list[RequirementMatch]:
    tax = engine.taxonomy
    projects = {p.capability: p.title for p in company.projects if p.capability is not None}
    tag_caps: dict[int, str] = {}
    if engine.config.taxonomy_credit:
        for tag in company.tags:
            for cap in tag_capabilities(tag, tax):
                tag_caps.setdefault(cap, tag)
    out = []
    for need, weight in sorted(scenario.requirements.items(), key=lambda kv: (-kv[1], kv[0])):
        best = RequirementMatch(need, tax.name(need), weight, 0.0)
        for have, evidence in company.capabilities.items():
            relation = tax.relation(have, need)
            if relation is None or (relation != "exact" and not engine.config.taxonomy_credit):
                continue
            credit = engine.evidence_credit(evidence) * RELATION_CREDIT[relation]
            if credit > best.credit + 1e-9:
                best = RequirementMatch(
                    need,
                    tax.name(need),
                    weight,
                    round(credit, 3),
                    relation,
                    tax.name(have),
                    evidence,
                    projects.get(have, ""),
                )
        for cap, tag in tag_caps.items():
            relation = tax.relation(cap, need)
            if relation is None:
                continue
            credit = engine.evidence_credit("self_declared") * TAG_CREDIT * RELATION_CREDIT[relation]
            if credit > best.credit + 1e-9:
                best = RequirementMatch(
                    need, tax.name(need), weight, round(credit, 3), "tag", tag, "self_declared"
                )
        out.append(best)
    return out


def _record(engine: MatchEngine, scenario: ScenarioData, company: CompanyData) -> list[str]:
    tax = engine.taxonomy
    needs = set(scenario.requirements)
    lines = []
    for a in sorted(company.awards, key=lambda a: (a.domain != scenario.domain, a.scenario_id)):
        related = [
            tax.name(c)
            for c in a.capabilities
            if any(tax.relation(c, n) in ("exact", "child", "parent") for n in needs)
        ]
        if a.domain != scenario.domain and not related:
            continue
        role = "牵头" if a.role == "lead" else "联合体成员"
        line = f"{role}承担园区场景「{a.title}」（{a.domain}，{AWARD_STATUS_LABELS.get(a.status, a.status)}）"
        if related:
            line += "，涉及" + "、".join(related)
        lines.append(line)
    for p in company.projects:
        if p.capability is not None and any(
            tax.relation(p.capability, n) in ("exact", "child", "parent") for n in needs
        ):
            year = f"{p.year}年" if p.year else ""
            client = f"为{p.client}" if p.client else ""
            lines.append(f"{year}{client}交付「{p.title}」")
    return lines


def explain(
    engine: MatchEngine,
    scenario_index: int,
    company_index: int,
    signals: tuple[float, float, float] | None = None,
) -> Explanation:
    """Why company ``company_index`` fits scenario ``scenario_index`` (indexes into the engine)."""
    scenario = engine.scenarios[scenario_index]
    company = engine.companies[company_index]
    if signals is None:
        sig = engine.scenario_signals(scenario_index)
        signals = (
            float(sig.coverage[company_index]),
            float(sig.text[company_index]),
            float(sig.track[company_index]),
        )
    query = analyze(scenario.text, engine.matcher)
    doc = analyze(company_text(company, engine.taxonomy), engine.matcher)
    doc_words: dict[str, list[str]] = {}
    for hit in doc.concepts:
        doc_words.setdefault(hit.token, []).append(hit.surface)
    concepts: dict[str, ConceptMatch] = {}
    for hit in query.concepts:
        if hit.token in doc_words:
            label = engine.matcher.labels.get(hit.token, hit.token)
            cm = concepts.setdefault(hit.token, ConceptMatch(label, [], doc_words[hit.token]))
            if hit.surface not in cm.scenario_words:
                cm.scenario_words.append(hit.surface)

    # Concepts whose words differ between the two sides first (those are what bigrams miss),
    # then the rarer concepts.
    def concept_order(item):
        token, cm = item
        same = bool(set(cm.scenario_words) & set(cm.company_words))
        i = engine.text.vocab.get(token)
        return (same, -(float(engine.text.idf[i]) if i is not None else 0.0))

    ordered = [cm for _, cm in sorted(concepts.items(), key=concept_order)]
    doc_bigrams = {t for t in doc.terms if len(t) == 2 and not t.startswith(("k:", "c:"))}
    vocab, idf = engine.text.vocab, engine.text.idf
    n_docs = max(len(engine.companies), 1)
    phrases: list[tuple[float, str]] = []
    for phrase in common_phrases(scenario.text, doc_bigrams):
        phrase = tidy_phrase(phrase)
        if not phrase or any(phrase in p for _, p in phrases):
            continue
        grams = char_bigrams(normalize_text(phrase))
        best_idf = max((idf[vocab[g]] for g in grams if g in vocab), default=0.0)
        # Skip words nearly every company uses (平台, 数据, 系统): they explain nothing.
        if best_idf > 0 and (n_docs < 4 or best_idf >= 1.0):
            phrases.append((len(phrase) * best_idf, phrase))
    phrases.sort(key=lambda x: -x[0])
    return Explanation(
        coverage=round(signals[0], 4),
        text=round(signals[1], 4),
        track=round(signals[2], 4),
        requirements=_requirements(engine, scenario, company),
        concepts=ordered,
        phrases=[p for _, p in phrases[:6]],
        record=_record(engine, scenario, company),
    )


def size_label(size: str) -> str:
    return SIZE_LABELS.get(size, size)


__all__ = ["ConceptMatch", "Explanation", "RequirementMatch", "explain", "size_label"]
