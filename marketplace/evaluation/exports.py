"""Exports of a scenario's evaluation for staff: the ranking and every score, as XLSX (two
sheets) and CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese text).

Built from the decision board (``decisions.read_board``), so the same access rules hold: only
the scenario's department staff and admins, and never an assigned evaluator who has not
submitted yet. Pure functions from the board to rows and bytes below.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``)
are written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from marketplace.evaluation.decisions import Board
from marketplace.evaluation.labels import DECISION_LABELS, ELIGIBILITY_LABELS

RANKING_SHEET = "排名"
SCORES_SHEET = "评分明细"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _consortium(entry) -> str:
    others = [m for m in entry.members if not m["is_lead"]]
    return "；".join(
        f"{m['name']}（{m['role'] or '成员单位'}，{m['work_share']}%{'，中小企业' if m['size'] == 'sme' else ''}）"
        for m in others
    )


def ranking_table(board: Board) -> tuple[list[str], list[list]]:
    """One row per evaluated proposal, in ranking order."""
    header = ["排名", "方案编号", "牵头企业", "联合体成员", "资格审查"]
    header += [f"{c['name']}（{c['weight']}%）平均分" for c in board.criteria]
    header += ["加权总分", "评审分差", "分歧较大", "评分完整", "入围", "入围理由", "决定", "决定理由"]
    rows = []
    for e in board.entries:
        r = e.result
        means = {m.criterion_id: m.mean for m in r.criteria} if r else {}
        review = e.review
        eligibility = ELIGIBILITY_LABELS.get(review["eligibility"], review["eligibility"])
        if review["eligibility_reason"]:
            eligibility += f"：{review['eligibility_reason']}"
        rows.append(
            [
                r.rank if r and r.rank is not None else "",
                e.proposal["number"] or "",
                e.proposal["company.name"],
                _consortium(e),
                eligibility,
                *[means.get(c["id"]) if means.get(c["id"]) is not None else "" for c in board.criteria],
                r.total if r and r.total is not None else "",
                r.spread if r else "",
                ("是" if r.disagreement else "否") if r else "",
                ("是" if r.complete else "否") if r else "",
                "是" if review["shortlisted"] else "否",
                review["shortlist_reason"],
                DECISION_LABELS.get(review["decision"], review["decision"]),
                review["decision_reason"],
            ]
        )
    return header, rows


def scores_table(board: Board) -> tuple[list[str], list[list]]:
    """Every submitted score with its comment, per proposal, evaluator and criterion."""
    header = [
        "方案编号",
        "牵头企业",
        "评审专家",
        "评审专家姓名",
        "评审项",
        "权重（%）",
        "分数（0-10）",
        "评语",
    ]
    evaluators = {e["id"]: e for e in board.evaluators}
    criteria = {c["id"]: (i, c) for i, c in enumerate(board.criteria)}
    order = {e.id: i for i, e in enumerate(board.entries)}
    ev_order = {e["id"]: i for i, e in enumerate(board.evaluators)}
    by_id = {e.id: e for e in board.entries}
    rows = []
    for s in sorted(
        (s for s in board.scores if s["proposal"] in by_id and s["criterion"] in criteria),
        key=lambda s: (order[s["proposal"]], ev_order.get(s["evaluator"], 99), criteria[s["criterion"]][0]),
    ):
        entry = by_id[s["proposal"]]
        evaluator = evaluators.get(s["evaluator"], {"label": "（已移除的评审专家）", "name": ""})
        criterion = criteria[s["criterion"]][1]
        rows.append(
            [
                entry.proposal["number"] or "",
                entry.proposal["company.name"],
                evaluator["label"],
                evaluator["name"],
                criterion["name"],
                criterion["weight"],
                s["score"],
                s["comment"],
            ]
        )
    return header, rows


def to_csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _sheet(ws, title: str, header: list[str], rows: list[list]) -> None:
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([_text(v) for v in row])
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(8, width * 2), 60)


def to_xlsx(board: Board) -> bytes:
    """A workbook with the ranking sheet and the score sheet (plus the scenario's name on top of
    neither: the first row is the header, so the sheets sort and filter as they are)."""
    wb = Workbook()
    _sheet(wb.active, RANKING_SHEET, *ranking_table(board))
    _sheet(wb.create_sheet(), SCORES_SHEET, *scores_table(board))
    wb.properties.title = f"{board.scenario['title']} 评审结果"
    wb.properties.creator = "数园区场景开放平台"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_xlsx(sheet: str, header: list[str], rows: list[list], title: str) -> bytes:
    """A workbook of one sheet: the header row, then the rows (formula-like text neutralised)."""
    wb = Workbook()
    _sheet(wb.active, sheet, header, rows)
    wb.properties.title = title
    wb.properties.creator = "数园区场景开放平台"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def attachment_header(filename: str, fallback: str) -> str:
    """A Content-Disposition for a download with a Chinese name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
