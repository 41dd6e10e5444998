"""``marketplace matches`` and ``marketplace eval-matching`` (registered in ``marketplace.cli``)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table as RichTable

console = Console()


@click.command("matches")
@click.option("--scenario", "scenario_ref", required=True, help="Scenario import key or numeric id.")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, best first.")
@click.option("--consortium", is_flag=True, help="Also suggest the smallest covering teams.")
@click.option(
    "--all", "show_all", is_flag=True, help="Also list companies below the recommendation threshold."
)
def matches(scenario_ref: str, limit: int, as_json: bool, consortium: bool, show_all: bool) -> None:
    """Rank approved companies for a scenario, with the calibrated fit (0-99, band 高/中/低) and
    explanation; only those at or above the recommendation threshold unless --all."""
    from marketplace.core.errors import NotFound
    from marketplace.matching import services
    from marketplace.matching.fit import RECOMMEND_AT
    from marketplace.matching.labels import NO_COMPANY_MATCH

    async def go():
        scenario_id = await services.resolve_scenario(scenario_ref)
        ranked = await services.match_companies(
            scenario_id, limit=limit, min_fit=0 if show_all else RECOMMEND_AT
        )
        team = await services.suggest_consortium(scenario_id) if consortium else None
        return ranked, team

    try:
        ranked, team = asyncio.run(go())
    except NotFound as exc:
        raise click.ClickException(exc.message) from None
    if as_json:
        rows = [m.to_dict() for m in ranked]
        if team is not None:
            click.echo(
                json.dumps({"matches": rows, "consortium": team.to_dict()}, ensure_ascii=False, indent=2)
            )
        else:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not ranked:
        console.print(NO_COMPANY_MATCH)
    table = RichTable(title=f"场景 {scenario_ref} 的推荐企业", show_lines=True)
    for col in ("#", "企业", "契合度", "覆盖/文本/业绩", "说明"):
        table.add_column(col)
    for n, m in enumerate(ranked, 1):
        e = m.explanation
        table.add_row(
            str(n),
            f"{m.company_name}\n{m.company_key or m.company_id}",
            f"{m.score}（{m.band_label or '未达推荐线'}）",
            f"{e.coverage:.2f}/{e.text:.2f}/{e.track:.2f}",
            e.summary(),
        )
    console.print(table)
    if team is not None:
        console.print("[bold]组队建议[/]")
        console.print(team.summary())


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


@click.command("eval-matching")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def eval_matching(files: tuple[Path, ...], as_json: bool) -> None:
    """Evaluate matching on labelled FILES (import format + "judgments"), each in a fresh
    temporary database: nDCG@5 and recall@10 for the engine, the previous engine, the TF-IDF
    baseline and each ablation, and how the fit threshold behaves on the file."""
    from marketplace.matching.evaluate import run_evaluation

    results = {}
    for file in files:
        try:
            results[str(file)] = run_evaluation(file)
        except RuntimeError as exc:
            raise click.ClickException(str(exc)) from None
    if as_json:
        for result in results.values():
            for m in result["methods"]:
                m.pop("rankings", None)
        only = next(iter(results.values())) if len(results) == 1 else results
        click.echo(json.dumps(only, ensure_ascii=False, indent=2))
        return
    for name, result in results.items():
        _print_result(name, result)


def _print_result(file: str, result: dict) -> None:
    table = RichTable(
        title=f"匹配评测 {file}：{result['judged']} 个已标注场景，{result['companies']} 家企业（临时数据库）"
    )
    for col in ("方法", "nDCG@5", "召回@10（2 级）", "召回@10（1 级及以上）"):
        table.add_column(col)
    for m in result["methods"]:
        table.add_row(m["label"], _fmt(m["ndcg5"]), _fmt(m["recall10_g2"]), _fmt(m["recall10_g1"]))
    console.print(table)
    fit = result.get("fit")
    if fit:
        here = fit["fitted_here"]
        console.print(
            f"推荐线 契合度 ≥ {fit['threshold']}：2 级保留 {_pct(fit['grade2_kept'])}，"
            f"1 级保留 {_pct(fit['grade1_kept'])}，0 级误列 {_pct(fit['grade0_shown'])}，"
            f"列出者相关率 {_pct(fit['precision_shown'])}，每场景平均列出 {fit['shown_per_scenario']} 家，"
            f"{fit['scenarios_without_recommendation']} 个场景无推荐。"
        )
        console.print(
            f"本文件上拟合的校准：slope {here['slope']}、midpoint {here['midpoint']}、推荐线 {here['threshold']}"
            f"（代码中：slope {fit['slope']}、midpoint {fit['midpoint']}；只可用调参半集的值改代码）"
        )
    for problem in result.get("import_problems", []):
        console.print(f"[yellow]导入提示[/] {problem}")
    if result.get("missing_scenarios"):
        console.print(f"[yellow]标注中的场景不在文件里：[/]{'、'.join(result['missing_scenarios'])}")


def _pct(value) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"
