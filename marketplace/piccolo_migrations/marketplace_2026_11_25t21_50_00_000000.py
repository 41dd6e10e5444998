"""Constraints the database enforces: valid status values, value ranges, one row per natural
key, and scenario weights that add up to 100 before a scenario leaves the draft states."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql, unique_index_sql

ID = "2026-11-25T21:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "database constraints"

SCENARIO_STATUSES = (
    "'draft','in_review','changes_requested','open','closed','evaluating',"
    "'shortlisted','awarded','piloting','completed','cancelled'"
)
PUBLIC_SCENARIO_STATUSES = (
    "'open','closed','evaluating','awarded','piloting','completed','cancelled','unsuccessful'"
)

CHECKS = [
    ("company", "company_size_valid", "{size} IN ('large','sme')"),
    ("company", "company_status_valid", "{status} IN ('pending','approved','suspended')"),
    ("company_capability", "company_capability_evidence_valid",
     "{evidence} IN ('self_declared','past_project','verified')"),
    ("capability", "capability_not_own_parent", "{parent} IS NULL OR {parent} <> {id}"),
    ("app_user", "app_user_role_valid", "{role} IN ('member','staff','admin')"),
    ("scenario", "scenario_domain_valid", "{domain} IN ('一网通办','一网统管','一网提优','一网协同')"),
    ("scenario", "scenario_status_valid", f"{{status}} IN ({SCENARIO_STATUSES})"),
    ("scenario", "scenario_public_status_valid",
     f"{{public_status}} IS NULL OR {{public_status}} IN ({PUBLIC_SCENARIO_STATUSES})"),
    ("scenario", "scenario_budget_valid",
     "({budget_min} IS NULL OR {budget_min} >= 0) AND ({budget_max} IS NULL OR {budget_max} >= 0)"
     " AND ({budget_min} IS NULL OR {budget_max} IS NULL OR {budget_min} <= {budget_max})"),
    ("scenario", "scenario_pilot_months_valid", "{pilot_months} IS NULL OR {pilot_months} BETWEEN 1 AND 120"),
    ("scenario", "scenario_deadlines_ordered",
     "{question_deadline} IS NULL OR {proposal_deadline} IS NULL"
     " OR {question_deadline} <= {proposal_deadline}"),
    ("scenario_capability", "scenario_capability_weight_range", "{weight} BETWEEN 1 AND 100"),
    ("scenario_criterion", "scenario_criterion_weight_range", "{weight} BETWEEN 1 AND 100"),
    ("proposal", "proposal_status_valid",
     "{status} IN ('draft','submitted','withdrawn','under_review','shortlisted',"
     "'not_shortlisted','selected','not_selected')"),
    ("proposal", "proposal_cost_valid", "{cost_estimate} IS NULL OR {cost_estimate} >= 0"),
    ("proposal_member", "proposal_member_status_valid", "{status} IN ('invited','accepted','declined')"),
    ("proposal_member", "proposal_member_share_range", "{work_share} BETWEEN 0 AND 100"),
    ("evaluation_score", "evaluation_score_range", "{score} BETWEEN 0 AND 10"),
    ("outbox", "outbox_kind_valid", "{kind} IN ('scenario','company','proposal')"),
]

UNIQUES = [
    ("company_capability", "company_capability_unique", ["company", "capability"]),
    ("scenario_capability", "scenario_capability_unique", ["scenario", "capability"]),
    ("scenario_criterion", "scenario_criterion_unique", ["scenario", "name"]),
    ("proposal", "proposal_one_per_company", ["scenario", "company"]),
    ("proposal_member", "proposal_member_unique", ["proposal", "company"]),
    ("proposal_version", "proposal_version_unique", ["proposal", "version"]),
    ("evaluator_assignment", "evaluator_assignment_unique", ["scenario", "evaluator"]),
    ("evaluation_score", "evaluation_score_unique", ["proposal", "evaluator", "criterion"]),
]

# A scenario may leave the draft states only when its criteria weights add up to 100 and its
# required-capability weights add up to 100 (or it has none: all its words were unmapped tags).
_WEIGHTS_BAD = (
    "(SELECT COALESCE(SUM(weight), 0) FROM scenario_criterion WHERE scenario = NEW.id) <> 100"
    " OR (SELECT COALESCE(SUM(weight), 0) FROM scenario_capability WHERE scenario = NEW.id)"
    " NOT IN (0, 100)"
)
_DRAFT_STATES = "('draft','changes_requested','cancelled')"

SQLITE_WEIGHTS = [
    f"""CREATE TRIGGER scenario_weights_add_up_{suffix} BEFORE {event} ON scenario
    WHEN NEW.status NOT IN {_DRAFT_STATES} AND ({_WEIGHTS_BAD})
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: scenario_weights_add_up'); END"""
    for suffix, event in (("insert", "INSERT"), ("update", "UPDATE OF status"))
]

POSTGRES_WEIGHTS = [
    f"""CREATE FUNCTION scenario_weights_add_up() RETURNS trigger AS $$
    BEGIN
      IF NEW.status NOT IN {_DRAFT_STATES} AND ({_WEIGHTS_BAD}) THEN
        RAISE EXCEPTION 'CHECK constraint failed: scenario_weights_add_up'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER scenario_weights_add_up BEFORE INSERT OR UPDATE OF status ON scenario
    FOR EACH ROW EXECUTE FUNCTION scenario_weights_add_up()""",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def add_constraints():
        engine = engine_finder()
        statements = []
        for table, name, condition in CHECKS:
            statements += check_constraint_sql(engine.engine_type, table, name, condition)
        statements += [unique_index_sql(*u) for u in UNIQUES]
        statements += POSTGRES_WEIGHTS if engine.engine_type == "postgres" else SQLITE_WEIGHTS
        for sql in statements:
            await engine.run_ddl(sql)

    manager.add_raw(add_constraints)
    return manager
