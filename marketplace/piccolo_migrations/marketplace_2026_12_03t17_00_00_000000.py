"""Proposal statuses: ``shortlisted`` and ``not_shortlisted`` go. Shortlisting stays internal
(``proposal_review``) until the outcome is published, so no proposal ever took them; the rule now
lists exactly the states of ``marketplace.proposals.status``."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from marketplace.core.ddl import check_constraint_sql, drop_check_constraint_sql

ID = "2026-12-03T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "proposal statuses without the unused shortlist states"

CONDITION = "{status} IN ('draft','submitted','withdrawn','under_review','selected','not_selected')"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="marketplace", description=DESCRIPTION)

    async def replace_rule():
        engine = engine_finder()
        for sql in drop_check_constraint_sql(engine.engine_type, "proposal", "proposal_status_valid"):
            await engine.run_ddl(sql)
        for sql in check_constraint_sql(engine.engine_type, "proposal", "proposal_status_valid", CONDITION):
            await engine.run_ddl(sql)

    manager.add_raw(replace_rule)
    return manager
