"""``marketplace export-ocds FILE`` as an operator runs it: a subprocess with its own database."""

from __future__ import annotations

import json
import os

from tests.matching.test_cli import run
from tests.matching.test_services import CATALOG
from tests.opendata.ocds_schema import package_errors


def test_export_ocds_writes_a_valid_package_with_the_configured_prefix(tmp_path):
    env = dict(os.environ)
    env.pop("TEST_DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'operator.sqlite'}",
        MARKETPLACE_VAR_DIR=str(tmp_path / "var"),
        MARKETPLACE_ENV="test",
        OCDS_OCID_PREFIX="ocds-a1b2c3-sip-",
    )
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG, ensure_ascii=False), encoding="utf-8")
    run(["migrate"], env)
    run(["import", str(catalog)], env)
    out = tmp_path / "ocds.json"
    proc = run(["export-ocds", str(out)], env)
    package = json.loads(out.read_text(encoding="utf-8"))
    assert package_errors(package) == []
    assert package["releases"] and f"已导出 {len(package['releases'])} 条" in proc.stdout
    assert all(r["ocid"].startswith("ocds-a1b2c3-sip-") for r in package["releases"])

    env["OCDS_OCID_PREFIX"] = "my-prefix"
    refused = run(["export-ocds", str(out)], env, check=False)
    assert refused.returncode != 0 and "OCDS_OCID_PREFIX" in refused.stderr
