"""The exports' content: the XLSX (ranking and score sheets) opened with openpyxl, the CSVs
decoded with their byte-order mark, and the printable report."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from openpyxl import load_workbook

from marketplace.evaluation import decisions, exports
from marketplace.evaluation.decision_views import XLSX_TYPE
from marketplace.evaluation.tables import ProposalReview
from tests.accounts.helpers import sign_in
from tests.evaluation.test_publication import comment, decided_world


async def test_the_workbook_holds_the_ranking_and_every_score(db, client):
    w = await decided_world(selected="b")
    await sign_in(client, w.staff)
    response = await client.get(f"/staff/scenarios/{w.scenario}/evaluation/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX_TYPE
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "河道漂浮物智能发现-评审结果.xlsx" in unquote(
        disposition
    )
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["排名", "评分明细"]

    ranking = [list(r) for r in book["排名"].iter_rows(values_only=True)]
    header = ranking[0]
    assert header[:5] == ["排名", "方案编号", "牵头企业", "联合体成员", "资格审查"]
    assert "技术方案（50%）平均分" in header and "加权总分" in header and "分歧较大" in header
    rows = {r[2]: dict(zip(header, r, strict=False)) for r in ranking[1:]}
    assert list(rows) == ["甲视觉科技有限公司", "乙数据集团有限公司", "丁智能科技有限公司"]  # by rank
    a, b = rows["甲视觉科技有限公司"], rows["乙数据集团有限公司"]
    assert (a["排名"], a["加权总分"], a["技术方案（50%）平均分"], a["分歧较大"]) == (1, 83.5, 8.5, "否")
    assert (b["排名"], b["加权总分"], b["评审分差"], b["分歧较大"]) == (2, 64.5, 51, "是")
    assert b["联合体成员"] == "丙感知小微科技有限公司（传感器部署，30%，中小企业）"
    assert (b["资格审查"], b["入围"], b["入围理由"]) == ("资格通过", "是", "联合体带动中小企业。")
    assert (b["决定"], b["决定理由"]) == ("选定", "合议后认为方案可落地。")
    assert rows["丁智能科技有限公司"]["决定理由"] == "经合议，选定了其他方案。"

    scores = [list(r) for r in book["评分明细"].iter_rows(values_only=True)]
    assert scores[0] == [
        "方案编号",
        "牵头企业",
        "评审专家",
        "评审专家姓名",
        "评审项",
        "权重（%）",
        "分数（0-10）",
        "评语",
    ]
    assert len(scores) == 1 + 3 * 2 * 3  # proposals x evaluators x criteria
    assert scores[1][1:] == [
        "甲视觉科技有限公司",
        "评审专家1",
        "评审甲",
        "技术方案",
        50,
        9,
        comment(1, "a", 0),
    ]


async def test_the_csvs_decode_as_utf8_with_a_bom(db, client):
    w = await decided_world(selected="b")
    await sign_in(client, w.admin)
    response = await client.get(f"/staff/scenarios/{w.scenario}/evaluation/ranking.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["排名", "方案编号", "牵头企业"]
    assert rows[1][0] == "1" and rows[1][2] == "甲视觉科技有限公司" and "83.5" in rows[1]

    scores = await client.get(f"/staff/scenarios/{w.scenario}/evaluation/scores.csv")
    text = scores.content.decode("utf-8-sig")
    assert scores.content.startswith(b"\xef\xbb\xbf") and comment(2, "b", 1) in text
    assert len(list(csv.reader(io.StringIO(text)))) == 19


async def test_cells_that_look_like_formulas_are_written_as_text(db):
    w = await decided_world(selected="b")
    await ProposalReview.update({ProposalReview.shortlist_reason: '=HYPERLINK("http://evil.example")'}).where(
        ProposalReview.proposal == w.proposal_b
    )
    board = await decisions.read_board(w.actor(w.staff), w.scenario)
    book = load_workbook(io.BytesIO(exports.to_xlsx(board)))
    cells = [c for row in book["排名"].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in cells] == [('\'=HYPERLINK("http://evil.example")', "s")]
    rows = list(csv.reader(io.StringIO(exports.to_csv(*exports.ranking_table(board)).decode("utf-8-sig"))))
    assert '\'=HYPERLINK("http://evil.example")' in rows[2]


async def test_the_printable_report(db, client):
    w = await decided_world(selected="b")
    await sign_in(client, w.staff)
    page = await client.get(f"/staff/scenarios/{w.scenario}/evaluation/report")
    assert page.status_code == 200
    html = page.text
    assert "/static/css/evaluation-report.css" in html
    for text in (
        "河道漂浮物智能发现",
        "园区水务局",
        "技术方案",
        "50%",
        "评审专家1",
        "评审甲",
        "评审乙",
        "利益冲突",
        "资格审查",
        "83.50",
        "64.50",
        "分歧较大",
        "总分第一，方案成熟。",
        "已选定合作伙伴",
        "合议后认为方案可落地。",
        "尚未公布",
    ):
        assert text in html, text
    css = await client.get("/static/css/evaluation-report.css")
    assert css.status_code == 200 and "@media print" in css.text
