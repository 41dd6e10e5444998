"""Explanations a bureau officer can read aloud: why this company for this scenario.

Built only for the rows shown (top results), in plain Python over the same plain data and the
same constants the matrices use, so the words always agree with the score.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from marketplace.companies.labels import EVIDENCE_LABELS, SIZE_LABELS
from marketplace.matching.labels import INFERRED_LABEL, INFERRED_NEED_LABEL
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
from marketplace.matching.text import STOP_WORDS, analyze

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
    evidence: str | None = None  # verified | past_project | self_declared | inferred
    project: str = ""  # a past project proving it, when there is one
    inferred_need: bool = False  # the scenario's text names it; it is not in the required list

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
    record: list[str] = field(default_factory=list)

    @property
    def declared(self) -> list[RequirementMatch]:
        return [r for r in self.requirements if not r.inferred_need]

    @property
    def covered(self) -> list[RequirementMatch]:
        return [r for r in self.declared if r.covered]

    @property
    def partial(self) -> list[RequirementMatch]:
        return [r for r in self.declared if 0 < r.credit < COVERED_AT]

    @property
    def missing(self) -> list[RequirementMatch]:
        return [r for r in self.declared if r.credit == 0]

    @property
    def has_reason(self) -> bool:
        """Whether there is anything to say: a capability, a concept, a project or an award.
        A pair with none of these is never shown as a recommendation, whatever its score."""
        return bool(self.covered or self.partial or self.named_covered or self.concepts or self.record)

    @property
    def named_covered(self) -> list[RequirementMatch]:
        """Capabilities the scenario's text names (not required) that the company has."""
        return [r for r in self.requirements if r.inferred_need and r.covered]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["covered"] = [r.capability_id for r in self.covered]
        out["missing"] = [r.capability_id for r in self.missing]
        out["summary"] = self.summary()
        return out

    def summary(self) -> str:
        """One paragraph in Chinese. Every reason names a required capability, a concept, a
        past project or an award; a bare common word is never a reason."""
        parts = []
        if self.declared:
            n, total = len(self.covered), len(self.declared)
            if n:
                items = "；".join(_capability_item(r) for r in self.covered)
                parts.append(f"所需能力覆盖 {n}/{total} 项：{items}")
            if self.partial:
                parts.append(
                    "部分相关："
                    + "；".join(
                        f"{r.name}（{RELATION_LABELS[r.relation or ''].format(via=r.via)}）"
                        for r in self.partial
                    )
                )
            if self.missing:
                parts.append(
                    ("缺少所需能力：" if not n else "缺少：") + "、".join(r.name for r in self.missing)
                )
        if self.named_covered:
            parts.append(
                f"{INFERRED_NEED_LABEL}的能力：" + "；".join(_capability_item(r) for r in self.named_covered)
            )
        words = []
        for c in self.concepts[:3]:
            s, o = "、".join(c.scenario_words[:2]), "、".join(c.company_words[:2])
            words.append(f"「{s}」与「{o}」同属{c.label}" if s != o else f"都涉及「{s}」（{c.label}）")
        if words:
            parts.append("相关概念：" + "；".join(words))
        if self.record:
            parts.append("业绩：" + "；".join(self.record[:3]))
        if not parts:
            parts.append("场景未列出所需能力，且没有可说明的共同概念")
        return "。".join(parts) + "。"


def _capability_item(r: RequirementMatch) -> str:
    how = [INFERRED_LABEL if r.evidence == "inferred" else EVIDENCE_LABELS.get(r.evidence or "", "")]
    if r.relation and r.relation != "exact":
        how.insert(0, RELATION_LABELS[r.relation].format(via=r.via))
    if r.project:
        how.append(f"案例「{r.project}」")
    return f"{r.name}（{'，'.join(h for h in how if h)}）"


def _requirements(
    engine: MatchEngine, scenario_index: int, company: CompanyData, company_index: int
) -> list[RequirementMatch]:
    """Each need (declared, then those the scenario's text names) with the company's best
    credit for it and where the credit comes from, the same arithmetic as the matrices."""
    tax = engine.taxonomy
    scenario = engine.scenarios[scenario_index]
    projects = {p.capability: p.title for p in company.projects if p.capability is not None}
    sources: list[tuple[int, str, str, float]] = []  # (capability, evidence, relation label, factor)
    sources += [(have, evidence, "", 1.0) for have, evidence in company.capabilities.items()]
    if engine.config.taxonomy_credit:
        for tag in company.tags:
            for cap in tag_capabilities(tag, tax):
                sources.append((cap, "self_declared", tag, TAG_CREDIT))
    declared = set(company.capabilities)
    sources += [
        (cap, "inferred", "", 1.0)
        for cap in engine.inferred_capabilities(company_index)
        if cap not in declared
    ]
    needs = sorted(scenario.requirements.items(), key=lambda kv: (-kv[1], kv[0]))
    needs += [(cap, 0) for cap in engine.inferred_needs.get(scenario_index, [])]
    out = []
    for need, weight in needs:
        best = RequirementMatch(need, tax.name(need), weight, 0.0, inferred_need=weight == 0)
        for have, evidence, tag, factor in sources:
            relation = tax.relation(have, need)
            if relation is None or (relation != "exact" and not engine.config.taxonomy_credit):
                continue
            credit = engine.evidence_credit(evidence) * factor * RELATION_CREDIT[relation]
            if credit > best.credit + 1e-9:
                best = RequirementMatch(
                    need,
                    tax.name(need),
                    weight,
                    round(credit, 3),
                    "tag" if tag else relation,
                    tag or tax.name(have),
                    evidence,
                    projects.get(have, "") if not tag else "",
                    inferred_need=weight == 0,
                )
        out.append(best)
    return out


def _specific_concepts(engine: MatchEngine, text: str) -> dict[str, list[str]]:
    """Concept token -> the surface forms ``text`` names it by, leaving out generic words."""
    found: dict[str, list[str]] = {}
    for hit in analyze(text, engine.matcher).concepts:
        if _is_generic(engine, hit.surface):
            continue
        found.setdefault(hit.token, []).append(hit.surface)
    return found


def _is_generic(engine: MatchEngine, word: str) -> bool:
    return word in STOP_WORDS or engine.text.is_generic(f"w:{word}") or engine.text.is_generic(word)


def _record(
    engine: MatchEngine, scenario: ScenarioData, company: CompanyData, scenario_concepts: set[str]
) -> list[str]:
    """Park awards and delivered projects that bear on the scenario: through a needed
    capability, or because their title names a concept the scenario names."""
    tax = engine.taxonomy
    needs = set(scenario.requirements)

    def shared(title: str) -> list[str]:
        return [
            engine.matcher.labels.get(t, t)
            for t in _specific_concepts(engine, title)
            if t in scenario_concepts
        ]

    lines = []
    for a in sorted(company.awards, key=lambda a: (a.domain != scenario.domain, a.scenario_id)):
        related = [
            tax.name(c)
            for c in a.capabilities
            if any(tax.relation(c, n) in ("exact", "child", "parent") for n in needs)
        ]
        concepts = shared(a.title)
        if a.domain != scenario.domain and not related and not concepts:
            continue
        role = "牵头" if a.role == "lead" else "联合体成员"
        line = f"{role}承担园区场景「{a.title}」（{a.domain}，{AWARD_STATUS_LABELS.get(a.status, a.status)}）"
        if related:
            line += "，涉及" + "、".join(related)
        elif concepts:
            line += "，同属" + "、".join(dict.fromkeys(concepts))
        lines.append(line)
    for p in company.projects:
        by_capability = p.capability is not None and any(
            tax.relation(p.capability, n) in ("exact", "child", "parent") for n in needs
        )
        concepts = shared(f"{p.title}\n{p.delivered}")
        if not by_capability and not concepts:
            continue
        year = f"{p.year}年" if p.year else ""
        client = f"为{p.client}" if p.client else ""
        line = f"{year}{client}交付「{p.title}」"
        if concepts and not by_capability:
            line += "，同属" + "、".join(dict.fromkeys(concepts))
        lines.append(line)
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
    query = _specific_concepts(engine, scenario.text)
    doc_text = company_text(company, engine.taxonomy)
    doc = _specific_concepts(engine, doc_text)
    concepts: dict[str, ConceptMatch] = {}
    for token, words in query.items():
        if token in doc:
            label = engine.matcher.labels.get(token, token)
            concepts[token] = ConceptMatch(label, list(dict.fromkeys(words)), list(dict.fromkeys(doc[token])))
    # Learned links: a word of the company's text that the corpus ties to one of the scenario's
    # concepts (shown with the word, so the officer can judge the link).
    if engine.config.learned_links and engine.text.links:
        doc_words = set(analyze(doc_text, None, tok=engine.tok, stop_words=True).terms)
        for word in sorted(doc_words):
            for token in engine.text.links.get(word, ()):
                if token in query and token not in concepts and not _is_generic(engine, word[2:]):
                    label = engine.matcher.labels.get(token, token)
                    concepts[token] = ConceptMatch(label, list(dict.fromkeys(query[token])), [word[2:]])

    # Concepts whose words differ between the two sides first (those are what words miss),
    # then the rarer concepts.
    def concept_order(item):
        token, cm = item
        same = bool(set(cm.scenario_words) & set(cm.company_words))
        i = engine.text.vocab.get(token)
        return (same, -(float(engine.text.idf[i]) if i is not None else 0.0))

    ordered = [cm for _, cm in sorted(concepts.items(), key=concept_order)]
    return Explanation(
        coverage=round(signals[0], 4),
        text=round(signals[1], 4),
        track=round(signals[2], 4),
        requirements=_requirements(engine, scenario_index, company, company_index),
        concepts=ordered,
        record=_record(engine, scenario, company, set(query)),
    )


def size_label(size: str) -> str:
    return SIZE_LABELS.get(size, size)


__all__ = ["ConceptMatch", "Explanation", "RequirementMatch", "explain", "size_label"]
