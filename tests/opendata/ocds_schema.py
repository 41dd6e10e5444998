"""Validate OCDS output against the OCDS 1.1 schemas and codelists kept in tests/data/ocds-1.1
(copied from ../shared/standards/ocds-1.1 with their licence note, so CI on a clean clone has
them), with jsonschema's draft 4 validator."""

from __future__ import annotations

import csv
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

OCDS_DIR = Path(__file__).resolve().parent.parent / "data" / "ocds-1.1"


@cache
def _validators() -> tuple[Draft4Validator, Draft4Validator]:
    release = json.loads((OCDS_DIR / "release-schema.json").read_text(encoding="utf-8"))
    package = json.loads((OCDS_DIR / "release-package-schema.json").read_text(encoding="utf-8"))
    registry = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4)
    )
    return (
        Draft4Validator(release, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER),
        Draft4Validator(package, registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER),
    )


def _errors(validator: Draft4Validator, document: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def release_errors(release: dict) -> list[str]:
    return _errors(_validators()[0], release) + codelist_errors(release)


def package_errors(package: dict) -> list[str]:
    errors = _errors(_validators()[1], package)
    for release in package["releases"]:
        errors += codelist_errors(release)
    return errors


@cache
def codelist(name: str) -> frozenset[str]:
    with (OCDS_DIR / "codelists" / f"{name}.csv").open(encoding="utf-8") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f))


def codelist_errors(release: dict) -> list[str]:
    """Codes outside the OCDS codelists (the schema leaves open codelists unchecked)."""
    checks: list[tuple[str, str | None]] = [(tag, "releaseTag") for tag in release["tag"]]
    tender = release.get("tender", {})
    checks += [
        (tender.get("status"), "tenderStatus"),
        (tender.get("awardCriteria"), "awardCriteria"),
        (tender.get("procurementMethod"), "method"),
        (tender.get("mainProcurementCategory"), "procurementCategory"),
        (release.get("initiationType"), "initiationType"),
    ]
    checks += [(m, "submissionMethod") for m in tender.get("submissionMethod", [])]
    for party in release.get("parties", []):
        checks += [(role, "partyRole") for role in party["roles"]]
        if "details" in party:
            checks.append((party["details"]["scale"], "partyScale"))
    checks += [(a["status"], "awardStatus") for a in release.get("awards", [])]
    for contract in release.get("contracts", []):
        checks.append((contract["status"], "contractStatus"))
        for m in contract.get("implementation", {}).get("milestones", []):
            checks += [(m["status"], "milestoneStatus"), (m["type"], "milestoneType")]
    return [
        f"{code!r} is not in {name}"
        for code, name in checks
        if code is not None and code not in codelist(name)
    ]
