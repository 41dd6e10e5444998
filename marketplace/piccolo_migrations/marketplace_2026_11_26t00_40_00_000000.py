"""Constraints of the proposal, evaluation and profile tables, and the scenario's new final
status "unsuccessful" (no partner selected)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql, drop_check_constraint_sql, unique_index_sql

ID = "2026-11-26T00:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "proposal and evaluation constraints"

SCENARIO_STATUSES = (
    "'draft','in_review','changes_requested','open','closed','evaluating',"
    "'shortlisted','awarded','piloting','completed','cancelled','unsuccessful'"
)

CHECKS = [
    ("scenario", "scenario_status_valid", f"{{status}} IN ({SCENARIO_STATUSES})"),
    ("proposal_attachment", "proposal_attachment_size_positive", "{size} > 0"),
    ("proposal_review", "proposal_review_eligibility_valid",
     "{eligibility} IN ('pending','eligible','ineligible','clarification')"),
    ("proposal_review", "proposal_review_decision_valid",
     "{decision} IN ('pending','selected','not_selected')"),
    ("scenario_outcome", "scenario_outcome_result_valid",
     "{result} IN ('awarded','unsuccessful')"
     " AND ({result} = 'unsuccessful' OR {selected_proposal} IS NOT NULL)"),
    ("pilot", "pilot_status_valid", "{status} IN ('active','completed','stopped')"),
    ("pilot_milestone", "pilot_milestone_status_valid",
     "{status} IN ('planned','in_progress','done','delayed')"),
    ("evaluator_affiliation", "evaluator_affiliation_relation_valid",
     "{relation} IN ('former_employer','current_employer','shareholder','family','other')"),
]

UNIQUES = [
    ("conflict_declaration", "conflict_declaration_unique", ["evaluator", "proposal"]),
    ("evaluator_affiliation", "evaluator_affiliation_unique", ["user", "company"]),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def add_constraints():
        engine = engine_finder()
        for sql in drop_check_constraint_sql(engine.engine_type, "scenario", "scenario_status_valid"):
            await engine.run_ddl(sql)
        for table, name, condition in CHECKS:
            for sql in check_constraint_sql(engine.engine_type, table, name, condition):
                await engine.run_ddl(sql)
        for table, name, columns in UNIQUES:
            await engine.run_ddl(unique_index_sql(table, name, columns))

    manager.add_raw(add_constraints)
    return manager
