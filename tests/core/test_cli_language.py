"""The operator's commands speak the operator's language (issue 16, defect 10): ``migrate`` and
``seed-demo`` report in Chinese, without Piccolo's English progress lines or one line per
free word of the demo file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MARKETPLACE = Path(sys.executable).parent / "marketplace"


def _run(args: list[str], tmp_path: Path) -> str:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEILI_", "DATABASE_URL"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
        "MARKETPLACE_VAR_DIR": str(tmp_path / "var"),
        "MARKETPLACE_ENV": "development",
    }
    done = subprocess.run(
        [str(MARKETPLACE), *args], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    return done.stdout + done.stderr


def test_migrate_and_seed_demo_report_in_chinese(tmp_path):
    first = _run(["migrate"], tmp_path)
    assert "个数据库迁移" in first and "forwards" not in first and "already" not in first
    again = _run(["migrate"], tmp_path)
    assert "无需迁移" in again and "not yet run" not in again
    seeded = _run(["seed-demo"], tmp_path)
    for english in ("departments", "capabilities", "companies", "scenarios"):
        assert english not in seeded
    assert "场景" in seeded and "企业" in seeded
    assert seeded.count("未能映射") <= 1  # one summary line, not a line per record
