"""Public facts of a scenario -> OCDS 1.1 releases and a record. Pure: no database.

Mapping (documented in README.md, "Open data"):

* the scenario is a ``tender`` (id = scenario id): title, description, status, ``tenderPeriod``
  (opening to proposal deadline), ``enquiryPeriod`` (opening to question deadline),
  ``awardPeriod`` (closing to result publication), ``minValue``/``value`` (the published budget,
  CNY), one item per required capability classified under the scheme ``SIP-CAPABILITY`` (the
  park's capability taxonomy; the code is the capability key), ``awardCriteria`` ratedCriteria
  with the published criteria and weights in ``awardCriteriaDetails``;
* the department is the ``buyer`` and ``procuringEntity``;
* a published award: one ``award`` whose suppliers are the selected consortium (lead first);
  they are parties with roles ``tenderer`` and ``supplier`` and ``details.scale`` ``sme`` or
  ``large`` (the partyScale codelist, used as the OCDS SME guidance recommends);
* the pilot is a ``contract`` of that award with ``implementation.milestones``;
* releases, one per public event, each with everything public at its date: ``tender``
  (opening), ``tenderAmendment`` (each published amendment or deadline extension, with
  ``tender.amendments``), ``tenderUpdate`` (closing; an unsuccessful result),
  ``tenderCancellation``, ``award`` (result published), ``contract`` (pilot started),
  ``implementationUpdate`` (pilot completed or stopped).

Field values are the current published ones; an amendment release records what changed and
why in ``tender.amendments`` (the deadlines are rebuilt as they stood at each release).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from marketplace.core.clock import PARK_TZ

CAPABILITY_SCHEME = "SIP-CAPABILITY"
CURRENCY = "CNY"

# Public scenario status -> tender.status (tenderStatus codelist, OCDS 1.1).
TENDER_STATUS = {
    "open": "active",
    "closed": "complete",
    "evaluating": "complete",
    "awarded": "complete",
    "piloting": "complete",
    "completed": "complete",
    "unsuccessful": "unsuccessful",
    "cancelled": "cancelled",
}
MILESTONE_STATUS = {"planned": "scheduled", "in_progress": "scheduled", "done": "met", "delayed": "notMet"}


@dataclass(frozen=True)
class Amendment:
    id: int
    kind: str  # amendment | extension | cancellation
    reason: str
    date: dt.datetime
    fields: list[str]  # labels of what changed
    deadlines_before: dict[str, dt.datetime | None]  # proposal_deadline / question_deadline


@dataclass(frozen=True)
class Supplier:
    id: int
    name: str
    is_sme: bool
    is_lead: bool


@dataclass(frozen=True)
class Milestone:
    title: str
    due_date: dt.date | None
    status: str
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class PilotFacts:
    status: str  # active | completed | stopped
    started_at: dt.datetime
    completed_at: dt.datetime | None
    milestones: list[Milestone]


@dataclass(frozen=True)
class ScenarioFacts:
    """What the public may know about one scenario (nothing else reaches the builder)."""

    id: int
    title: str
    summary: str
    description: str
    public_status: str
    department_id: int
    department_name: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    proposal_deadline: dt.datetime | None
    question_deadline: dt.datetime | None
    budget_min: int | None
    budget_max: int | None
    capabilities: list[tuple[str, str, int]]  # (key, name, weight)
    criteria: list[tuple[str, str, int]]  # (name, description, weight)
    amendments: list[Amendment] = field(default_factory=list)
    result: str | None = None  # awarded | unsuccessful, once published
    result_published_at: dt.datetime | None = None
    suppliers: list[Supplier] = field(default_factory=list)
    pilot: PilotFacts | None = None


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def ocid_of(prefix: str, scenario_id: int) -> str:
    return f"{prefix}{scenario_id}"


def _period(start: dt.datetime | None, end: dt.datetime | None) -> dict:
    return {k: iso(v) for k, v in (("startDate", start), ("endDate", end)) if v is not None}


def _department_party(f: ScenarioFacts) -> dict:
    return {
        "id": f"department-{f.department_id}",
        "name": f.department_name,
        "roles": ["buyer", "procuringEntity"],
    }


def _supplier_party(s: Supplier) -> dict:
    return {
        "id": f"company-{s.id}",
        "name": s.name,
        "roles": ["tenderer", "supplier"],
        "details": {"scale": "sme" if s.is_sme else "large"},
    }


def _tender(f: ScenarioFacts, status: str, at: dt.datetime, deadlines: dict) -> dict:
    tender: dict = {
        "id": str(f.id),
        "title": f.title,
        "description": "\n\n".join(p for p in (f.summary, f.description) if p),
        "status": status,
        "procuringEntity": {"id": f"department-{f.department_id}", "name": f.department_name},
        "procurementMethod": "open",
        "mainProcurementCategory": "services",
        "submissionMethod": ["electronicSubmission"],
        "datePublished": iso(f.opened_at),
        "tenderPeriod": _period(f.opened_at, deadlines["proposal_deadline"]),
        "hasEnquiries": True,
        "items": [
            {
                "id": str(n),
                "description": name,
                "classification": {"scheme": CAPABILITY_SCHEME, "id": key, "description": name},
            }
            for n, (key, name, _weight) in enumerate(f.capabilities, start=1)
        ],
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": "；".join(
            f"{name}（权重 {weight}%）" + (f"：{text}" if text else "") for name, text, weight in f.criteria
        ),
    }
    if deadlines["question_deadline"] is not None:
        tender["enquiryPeriod"] = _period(f.opened_at, deadlines["question_deadline"])
    if f.budget_max is not None:
        tender["value"] = {"amount": f.budget_max, "currency": CURRENCY}
    if f.budget_min is not None:
        tender["minValue"] = {"amount": f.budget_min, "currency": CURRENCY}
    if f.closed_at is not None and f.closed_at <= at:
        published = f.result_published_at if f.result_published_at and f.result_published_at <= at else None
        tender["awardPeriod"] = _period(f.closed_at, published)
    amendments = [
        {
            "id": str(a.id),
            "date": iso(a.date),
            "rationale": a.reason,
            "description": "、".join(a.fields),
        }
        for a in f.amendments
        if a.date <= at
    ]
    if amendments:
        tender["amendments"] = amendments
    return tender


def _deadlines_at(f: ScenarioFacts, at: dt.datetime) -> dict:
    """The deadlines as they stood at ``at``: undo the later amendments' changes, newest first."""
    deadlines: dict = {"proposal_deadline": f.proposal_deadline, "question_deadline": f.question_deadline}
    for a in sorted(f.amendments, key=lambda a: (a.date, a.id), reverse=True):
        if a.date > at:
            deadlines.update(a.deadlines_before)
    return deadlines


def _events(f: ScenarioFacts) -> list[tuple[dt.datetime, str, str, str]]:
    """(date, release id suffix, tag, tender status) of each public event, in order."""
    events = [(f.opened_at, "tender", "tender", "active")]
    for a in f.amendments:
        if a.kind == "cancellation":
            events.append((a.date, f"cancellation-{a.id}", "tenderCancellation", "cancelled"))
        else:
            events.append((a.date, f"amendment-{a.id}", "tenderAmendment", "active"))
    if f.closed_at is not None:
        events.append((f.closed_at, "closed", "tenderUpdate", "complete"))
    if f.result_published_at is not None:
        if f.result == "awarded":
            events.append((f.result_published_at, "award", "award", "complete"))
        else:
            events.append((f.result_published_at, "unsuccessful", "tenderUpdate", "unsuccessful"))
    if f.pilot is not None:
        events.append((f.pilot.started_at, "contract", "contract", "complete"))
        if f.pilot.completed_at is not None and f.pilot.status != "active":
            events.append((f.pilot.completed_at, "implementation", "implementationUpdate", "complete"))
    return sorted(events, key=lambda e: e[0])


def _award(f: ScenarioFacts) -> dict:
    assert f.result_published_at is not None
    return {
        "id": f"{f.id}-award",
        "title": f.title,
        "status": "active",
        "date": iso(f.result_published_at),
        "suppliers": [{"id": f"company-{s.id}", "name": s.name} for s in f.suppliers],
    }


def _contract(f: ScenarioFacts, at: dt.datetime) -> dict:
    pilot = f.pilot
    assert pilot is not None
    ended = pilot.completed_at is not None and pilot.completed_at <= at and pilot.status != "active"
    milestones = []
    for n, m in enumerate(pilot.milestones, start=1):
        done = m.completed_at is not None and m.completed_at <= at
        status = (
            "met"
            if done
            else "scheduled"
            if m.status == "done"
            else MILESTONE_STATUS.get(m.status, "scheduled")
        )
        milestone: dict = {"id": f"{f.id}-pilot-{n}", "title": m.title, "type": "delivery", "status": status}
        if m.due_date is not None:
            # Due by the end of that day in the park.
            milestone["dueDate"] = iso(dt.datetime.combine(m.due_date, dt.time(23, 59, 59), tzinfo=PARK_TZ))
        if done and status == "met" and m.completed_at is not None:
            milestone["dateMet"] = iso(m.completed_at)
        milestones.append(milestone)
    return {
        "id": f"{f.id}-pilot",
        "awardID": f"{f.id}-award",
        "title": f"试点：{f.title}",
        "status": "terminated" if ended else "active",
        "period": _period(pilot.started_at, pilot.completed_at if ended else None),
        "implementation": {"milestones": milestones},
    }


def build_releases(f: ScenarioFacts, prefix: str) -> list[dict]:
    """One release per public event of the scenario, oldest first, each cumulative."""
    ocid = ocid_of(prefix, f.id)
    releases = []
    tender_status = "active"
    for at, suffix, tag, status in _events(f):
        if tag.startswith("tender") or tag == "award":
            tender_status = status
        release: dict = {
            "ocid": ocid,
            "id": f"{ocid}-{suffix}",
            "date": iso(at),
            "tag": [tag],
            "initiationType": "tender",
            "language": "zh",
            "buyer": {"id": f"department-{f.department_id}", "name": f.department_name},
            "parties": [_department_party(f)],
            "tender": _tender(f, tender_status, at, _deadlines_at(f, at)),
        }
        if f.result == "awarded" and f.result_published_at is not None and f.result_published_at <= at:
            release["awards"] = [_award(f)]
            release["parties"] += [_supplier_party(s) for s in f.suppliers]
        if f.pilot is not None and f.pilot.started_at <= at and "awards" in release:
            release["contracts"] = [_contract(f, at)]
        releases.append(release)
    return releases


def compile_record(releases: list[dict]) -> dict:
    """A record: every release, and the compiled release. Each release here already carries
    everything public at its date, so the compiled release is the latest one, tagged
    ``compiled`` (the OCDS merge of cumulative releases gives the same)."""
    latest = releases[-1]
    compiled = {**latest, "id": f"{latest['ocid']}-compiled", "tag": ["compiled"]}
    return {"ocid": latest["ocid"], "releases": releases, "compiledRelease": compiled}


def release_package(releases: list[dict], *, uri: str, published: dt.datetime, publisher: str) -> dict:
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": iso(published),
        "publisher": {"name": publisher},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "releases": releases,
    }
