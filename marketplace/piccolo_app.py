"""The one Piccolo app of the project: every domain's ``tables.py``, and the migrations."""

import os

from piccolo.conf.apps import AppConfig, table_finder

DOMAIN_TABLE_MODULES = [
    "marketplace.core.tables",
    "marketplace.departments.tables",
    "marketplace.taxonomy.tables",
    "marketplace.companies.tables",
    "marketplace.accounts.tables",
    "marketplace.notifications.tables",
    "marketplace.scenarios.tables",
    "marketplace.proposals.tables",
    "marketplace.evaluation.tables",
]

APP_CONFIG = AppConfig(
    app_name="marketplace",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=table_finder(modules=DOMAIN_TABLE_MODULES, exclude_imported=True),
    migration_dependencies=[],
    commands=[],
)
