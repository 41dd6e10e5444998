"""The staff export of a scenario's proposals as CSV (UTF-8 with a byte-order mark, so Excel shows
the Chinese text), under exactly the rules of ``visibility``: what the list page shows, nothing
more. A sealed scenario before its deadline is refused with ``Conflict`` (409) and a Chinese
message rather than answered with an empty file, so nobody mistakes "sealed" for "no proposals".

Cells that a spreadsheet would run as a formula (starting with ``= + - @`` or a tab/CR) are
prefixed with an apostrophe: company names and roles are typed by members.
"""

from __future__ import annotations

import csv
import io

from marketplace.core import clock
from marketplace.core.errors import Conflict
from marketplace.proposals import policy
from marketplace.proposals.status import STAFF_STATUS_LABELS

HEADER = (
    "方案编号",
    "牵头企业",
    "牵头企业规模",
    "联合体成员",
    "中小企业数",
    "提交时间",
    "版本",
    "状态",
    "需重新确认",
    "内容哈希",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def member_label(m: dict) -> str:
    """``name（中小企业，role，40%）`` as one consortium entry in a cell."""
    parts = [
        p
        for p in (
            "中小企业" if m["is_sme"] else "",
            m["role"],
            f"{m['work_share']}%" if m["work_share"] is not None else "",
        )
        if p
    ]
    if m["status"] != "accepted":
        parts.append("待确认" if m["status"] == "invited" else "已拒绝")
    return m["name"] + (f"（{'，'.join(parts)}）" if parts else "")


def proposals_csv(rows: list[dict]) -> bytes:
    """The rows (from ``policy.all_visible_proposals``) as CSV bytes with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        members = r["members"]
        lead = next((m for m in members if m["is_lead"]), None)
        writer.writerow(
            [
                _cell(v)
                for v in (
                    r["number"] or "",
                    r["company.name"],
                    "中小企业" if r["company.size"] == "sme" else "大型企业",
                    "；".join(member_label(m) for m in members if m is not lead),
                    sum(1 for m in members if m["is_sme"] and m["status"] == "accepted"),
                    clock.to_park_time(r["submitted_at"]).strftime("%Y-%m-%d %H:%M")
                    if r["submitted_at"]
                    else "",
                    r["version"],
                    STAFF_STATUS_LABELS.get(r["status"], r["status"]),
                    "是" if r["needs_confirmation"] else "否",
                    r["content_hash"],
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def export_scenario_proposals(user, scenario_id: int) -> tuple[str, bytes]:
    """(file name, CSV bytes) of the scenario's proposals ``user`` may see. ``NotFound`` for a
    scenario of another department; ``Conflict`` for a sealed scenario before its deadline."""
    scenario = await policy.get_scenario_for_proposals(user, scenario_id)
    if scenario["sealed_now"]:
        raise Conflict(policy.SEALED_NOTICE + "截止后可导出。")
    rows = await policy.all_visible_proposals(user, scenario_id=scenario_id)
    stamp = clock.to_park_time(clock.now()).strftime("%Y%m%d-%H%M")
    return f"scenario-{scenario_id}-proposals-{stamp}.csv", proposals_csv(rows)
