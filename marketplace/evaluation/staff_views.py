"""Staff pages of the evaluation (HTML):

* ``/staff/evaluations`` — the scenarios the signed-in user is assigned to evaluate;
* ``/staff/affiliations`` — his companies of interest (former employer...), which flag conflicts;
* ``/staff/scenarios/{id}/evaluation`` — the workspace: start and assign evaluators, eligibility
  and clarifications, the progress matrix and (unless the viewer is still blind) the ranking
  with disagreement flags and consensus notes;
* ``/staff/scenarios/{id}/evaluation/conflicts`` — an evaluator's conflict declaration;
* ``/staff/scenarios/{id}/evaluation/score/{proposal_id}`` — the score form beside the
  proposal's final version; ``/evaluation/submit`` submits all his scores.

Thin: services enforce every rule (who, when, conflicts, blindness) and raise; the global handler
renders NotAllowed as 403 and NotFound as 404. Bad input re-renders the page with 400.
"""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_400_BAD_REQUEST

from marketplace.core.errors import Conflict, NotAllowed, ValidationFailed
from marketplace.evaluation import assignments, conflicts, eligibility, labels, scoring
from marketplace.evaluation.assignments import STARTED_STATUSES
from marketplace.evaluation.policy import get_scenario, require_manager
from marketplace.scenarios.forms import local_datetime_value, parse_local_datetime
from marketplace.scenarios.status import STATUS_LABELS
from marketplace.web.errors import path_id_out_of_range
from marketplace.web.forms import actor_of, read_form, see_other
from marketplace.web.guards import requires_staff_or_admin
from marketplace.web.params import MAX_ID
from marketplace.web.params import Id as ScenarioId

Id = ScenarioId  # any id in a path: 1..2**31-1
CELL_LABELS = {
    "undeclared": "未声明",
    "conflicted": "回避",
    "not_eligible": "不评",
    "submitted": "已提交",
    "scored": "已评完",
    "partial": "部分",
    "missing": "未评",
}
DONE_MESSAGES = {
    "started": "评审已开始：方案已进入评审，评审专家已收到通知。",
    "assigned": "已指派评审专家。",
    "unassigned": "已移除评审专家。",
    "eligibility": "资格审查结果已保存。",
    "clarification": "澄清请求已发送，牵头企业管理员已收到通知。",
    "consensus": "合议记录已保存。",
    "declared": "利益冲突声明已保存。",
    "saved": "评分已保存为草稿。",
    "submitted": "评分已提交并锁定。现在可以看到其他评审专家的评分。",
    "affiliation_added": "关联企业已登记。",
    "affiliation_removed": "关联企业已删除。",
}


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and 1 <= int(v) <= MAX_ID]


def _proposal_id(form: dict) -> int:
    raw = form.get("proposal_id", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise ValidationFailed("请选择方案。", {"proposal_id": "请选择方案。"})
    return int(raw)


def _done(request: Request) -> str:
    return DONE_MESSAGES.get(request.query_params.get("done", ""), "")


class EvaluationStaffController(Controller):
    path = "/staff"
    guards = [requires_staff_or_admin]
    include_in_schema = False
    exception_handlers = {ValidationException: path_id_out_of_range}

    # --- an evaluator's list and affiliations ------------------------------------------------

    @get("/evaluations", name="staff:evaluations")
    async def my_evaluations(self, request: Request) -> Template:
        rows = await assignments.assigned_scenarios(request.user.id)
        for r in rows:
            r["status_label"] = STATUS_LABELS.get(r["scenario.status"], r["scenario.status"])
        return Template("evaluation/my_evaluations.html", context={"rows": rows, "done": _done(request)})

    async def _affiliations_page(
        self,
        request: Request,
        *,
        form: dict | None = None,
        message: str = "",
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            "evaluation/affiliations.html",
            status_code=status_code,
            context={
                "affiliations": await conflicts.list_affiliations(request.user.id),
                "relations": conflicts.AFFILIATION_RELATIONS,
                "form": form or {},
                "message": message,
                "errors": errors or {},
                "done": "" if message else _done(request),
            },
        )

    @get("/affiliations", name="staff:affiliations")
    async def affiliations(self, request: Request) -> Template:
        return await self._affiliations_page(request)

    @post("/affiliations", name="staff:affiliations:add")
    async def add_affiliation(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            await conflicts.add_affiliation(
                form.get("company_name", ""),
                form.get("relation", ""),
                form.get("note", ""),
                actor_of(request),
            )
        except ValidationFailed as exc:
            return await self._affiliations_page(
                request, form=form, message=exc.message, errors=exc.errors, status_code=HTTP_400_BAD_REQUEST
            )
        return see_other(request.app.route_reverse("staff:affiliations") + "?done=affiliation_added")

    @post("/affiliations/{affiliation_id:int}/delete", name="staff:affiliations:delete")
    async def remove_affiliation(self, request: Request, affiliation_id: Id) -> Redirect:
        await conflicts.remove_affiliation(affiliation_id, actor_of(request))
        return see_other(request.app.route_reverse("staff:affiliations") + "?done=affiliation_removed")

    # --- the workspace ---------------------------------------------------------------------

    async def _workspace(
        self,
        request: Request,
        scenario_id: int,
        *,
        form: dict | None = None,
        message: str = "",
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        actor = actor_of(request)
        scenario, _ = await require_manager(scenario_id, actor)
        started = scenario["status"] in STARTED_STATUSES
        progress = await scoring.progress(scenario_id, request.user.id) if started else None
        reviews = progress["proposals"] if progress else []
        conflicted = progress["rights"]["conflicted"] if progress else set()
        for r in reviews:
            r["eligibility_label"] = labels.ELIGIBILITY_LABELS[r["eligibility"]]
            r["hidden"] = r["proposal"] in conflicted  # the viewer recused himself: no content
        assigned = {a["evaluator"] for a in progress["assignments"]} if progress else set()
        candidates = [
            c for c in await assignments.candidate_evaluators(scenario_id) if c["id"] not in assigned
        ]
        ranking = progress["ranking"] if progress else None
        numbers = {r["proposal"]: r for r in reviews}
        return Template(
            "evaluation/workspace.html",
            status_code=status_code,
            context={
                "scenario": scenario,
                "status_label": STATUS_LABELS[scenario["status"]],
                "started": started,
                "progress": progress,
                "reviews": reviews,
                "candidates": candidates,
                "ranking": ranking,
                "by_proposal": numbers,
                "cell_labels": CELL_LABELS,
                "declarations": await conflicts.list_declarations(scenario_id) if started else [],
                "evaluator_names": {a["evaluator"]: a["name"] for a in progress["assignments"]}
                if progress
                else {},
                "criteria": progress["criteria"] if progress else [],
                "form": form or {},
                "message": message,
                "errors": errors or {},
                "done": "" if message else _done(request),
                "local_value": local_datetime_value,
                "may_act": scenario["status"] in assignments.EVALUATION_STATUSES,
            },
        )

    @get("/scenarios/{scenario_id:int}/evaluation", name="staff:evaluation")
    async def workspace(self, request: Request, scenario_id: Id) -> Template:
        return await self._workspace(request, scenario_id)

    async def _act(self, request: Request, scenario_id: int, done: str, call) -> Template | Redirect:
        form = await read_form(request)
        try:
            await call(form)
        except (ValidationFailed, Conflict) as exc:
            errors = exc.errors if isinstance(exc, ValidationFailed) else {}
            return await self._workspace(
                request,
                scenario_id,
                form=form,
                message=exc.message,
                errors=errors,
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse("staff:evaluation", scenario_id=scenario_id) + f"?done={done}"
        )

    async def _chosen_evaluators(self, request: Request) -> list[int]:
        form = await request.form()
        return _ids([v for v in form.getall("evaluator", []) if isinstance(v, str)])

    @post("/scenarios/{scenario_id:int}/evaluation/start", name="staff:evaluation:start")
    async def start(self, request: Request, scenario_id: Id) -> Template | Redirect:
        chosen = await self._chosen_evaluators(request)
        return await self._act(
            request,
            scenario_id,
            "started",
            lambda form: assignments.start_evaluation(scenario_id, chosen, actor_of(request)),
        )

    @post("/scenarios/{scenario_id:int}/evaluation/assign", name="staff:evaluation:assign")
    async def assign(self, request: Request, scenario_id: Id) -> Template | Redirect:
        chosen = await self._chosen_evaluators(request)
        return await self._act(
            request,
            scenario_id,
            "assigned",
            lambda form: assignments.assign_evaluators(scenario_id, chosen, actor_of(request)),
        )

    @post("/scenarios/{scenario_id:int}/evaluation/unassign", name="staff:evaluation:unassign")
    async def unassign(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            chosen = _ids([form.get("evaluator", "")])
            if not chosen:
                raise ValidationFailed("请选择评审专家。", {"evaluator": "请选择评审专家。"})
            await assignments.unassign_evaluator(scenario_id, chosen[0], actor_of(request))

        return await self._act(request, scenario_id, "unassigned", call)

    async def _own_proposal(self, scenario_id: int, form: dict) -> int:
        proposal_id = _proposal_id(form)
        if proposal_id not in {r["proposal"] for r in await assignments.reviewed_proposals(scenario_id)}:
            raise ValidationFailed(
                "该方案不属于本场景的评审。", {"proposal_id": "该方案不属于本场景的评审。"}
            )
        return proposal_id

    @post("/scenarios/{scenario_id:int}/evaluation/eligibility", name="staff:evaluation:eligibility")
    async def decide_eligibility(self, request: Request, scenario_id: Id) -> Template | Redirect:
        actor = actor_of(request)
        form = await read_form(request)
        decision = form.get("decision", "")

        async def call(form):
            proposal_id = await self._own_proposal(scenario_id, form)
            key = f"_{proposal_id}"
            try:
                if decision == "eligible":
                    await eligibility.mark_eligible(proposal_id, actor)
                elif decision == "ineligible":
                    await eligibility.mark_ineligible(proposal_id, form.get("reason", ""), actor)
                elif decision == "clarification":
                    raw = form.get("deadline", "").strip()
                    try:
                        deadline = parse_local_datetime(raw) if raw else None
                    except ValueError:
                        raise ValidationFailed(
                            "答复截止时间格式不正确。", {"deadline": "答复截止时间格式不正确。"}
                        ) from None
                    await eligibility.request_clarification(
                        proposal_id, form.get("question", ""), deadline, actor
                    )
                else:
                    raise ValidationFailed("请选择资格审查结果。", {"decision": "请选择资格审查结果。"})
            except ValidationFailed as exc:  # name the fields of this proposal's row
                raise ValidationFailed(exc.message, {f"{k}{key}": v for k, v in exc.errors.items()}) from None

        done = "clarification" if decision == "clarification" else "eligibility"
        return await self._act(request, scenario_id, done, call)

    @post("/scenarios/{scenario_id:int}/evaluation/consensus", name="staff:evaluation:consensus")
    async def consensus(self, request: Request, scenario_id: Id) -> Template | Redirect:
        async def call(form):
            proposal_id = await self._own_proposal(scenario_id, form)
            await scoring.save_consensus_note(proposal_id, form.get("consensus_note", ""), actor_of(request))

        return await self._act(request, scenario_id, "consensus", call)

    # --- conflicts -------------------------------------------------------------------------

    async def _conflicts_page(
        self,
        request: Request,
        scenario_id: int,
        *,
        form: dict | None = None,
        message: str = "",
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        scenario = await get_scenario(scenario_id)
        items = await conflicts.declaration_form(scenario_id, request.user.id)
        assignment = await assignments.get_assignment(scenario_id, request.user.id)
        assert assignment is not None  # declaration_form refuses anyone not assigned
        return Template(
            "evaluation/conflicts.html",
            status_code=status_code,
            context={
                "scenario": scenario,
                "items": items,
                "assignment": assignment,
                "form": form,
                "message": message,
                "errors": errors or {},
                "done": "" if message else _done(request),
                "locked": assignment["submitted_at"] is not None
                or scenario["status"] not in assignments.EVALUATION_STATUSES,
            },
        )

    @get("/scenarios/{scenario_id:int}/evaluation/conflicts", name="staff:evaluation:conflicts")
    async def conflicts_form(self, request: Request, scenario_id: Id) -> Template:
        return await self._conflicts_page(request, scenario_id)

    @post("/scenarios/{scenario_id:int}/evaluation/conflicts", name="staff:evaluation:conflicts:declare")
    async def declare(self, request: Request, scenario_id: Id) -> Template | Redirect:
        form = await read_form(request)
        answers = []
        for key, value in form.items():
            if (
                key.startswith("conflicted_")
                and key[len("conflicted_") :].isdigit()
                and value in ("yes", "no")
            ):
                pid = int(key[len("conflicted_") :])
                answers.append(conflicts.ConflictAnswer(pid, value == "yes", form.get(f"relation_{pid}", "")))
        try:
            await conflicts.declare_conflicts(scenario_id, answers, actor_of(request))
        except (ValidationFailed, Conflict) as exc:
            return await self._conflicts_page(
                request,
                scenario_id,
                form=form,
                message=exc.message,
                errors=exc.errors if isinstance(exc, ValidationFailed) else {},
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse("staff:evaluation:score", scenario_id=scenario_id) + "?done=declared"
        )

    # --- scoring ---------------------------------------------------------------------------

    @get("/scenarios/{scenario_id:int}/evaluation/score", name="staff:evaluation:score")
    async def my_scoring(self, request: Request, scenario_id: Id) -> Template:
        """The evaluator's list: each proposal to score with its state, and the submit button."""
        return await self._my_scoring(request, scenario_id)

    async def _my_scoring(
        self, request: Request, scenario_id: int, *, message: str = "", status_code: int = 200
    ) -> Template:
        scenario = await get_scenario(scenario_id)
        assignment = await assignments.get_assignment(scenario_id, request.user.id)
        if assignment is None:
            raise NotAllowed(conflicts.NOT_ASSIGNED)
        proposals = await scoring.scorable_proposals(scenario_id, request.user.id)
        missing = {m["proposal"]: m for m in await scoring.missing_scores(scenario_id, request.user.id)}
        conflicted = await conflicts.conflicted_proposals(scenario_id, request.user.id)
        others = [
            r
            for r in await assignments.reviewed_proposals(scenario_id)
            if r["proposal"] not in {p["proposal"] for p in proposals}
        ]
        for r in others:
            r["reason"] = (
                "回避（利益冲突）"
                if r["proposal"] in conflicted
                else labels.ELIGIBILITY_LABELS[r["eligibility"]]
            )
        return Template(
            "evaluation/my_scoring.html",
            status_code=status_code,
            context={
                "scenario": scenario,
                "assignment": assignment,
                "proposals": proposals,
                "missing": missing,
                "others": others,
                "criteria_count": len(await scoring.scenario_criteria(scenario_id)),
                "message": message,
                "done": "" if message else _done(request),
            },
        )

    @post("/scenarios/{scenario_id:int}/evaluation/submit", name="staff:evaluation:submit")
    async def submit(self, request: Request, scenario_id: Id) -> Template | Redirect:
        try:
            await scoring.submit_scores(scenario_id, actor_of(request))
        except (ValidationFailed, Conflict) as exc:
            return await self._my_scoring(
                request, scenario_id, message=exc.message, status_code=exc.status_code
            )
        return see_other(
            request.app.route_reverse("staff:evaluation:score", scenario_id=scenario_id) + "?done=submitted"
        )

    async def _score_page(
        self,
        request: Request,
        scenario_id: int,
        proposal_id: int,
        *,
        form: dict | None = None,
        message: str = "",
        errors: dict | None = None,
        status_code: int = 200,
    ) -> Template:
        page = await scoring.scoring_page(scenario_id, proposal_id, request.user.id)
        return Template(
            "evaluation/score.html",
            status_code=status_code,
            context={
                **page,
                "form": form,
                "message": message,
                "errors": errors or {},
                "done": "" if message else _done(request),
                "content_labels": CONTENT_LABELS,
            },
        )

    @get(
        "/scenarios/{scenario_id:int}/evaluation/score/{proposal_id:int}",
        name="staff:evaluation:score:proposal",
    )
    async def score_form(self, request: Request, scenario_id: Id, proposal_id: Id) -> Template:
        return await self._score_page(request, scenario_id, proposal_id)

    @post(
        "/scenarios/{scenario_id:int}/evaluation/score/{proposal_id:int}", name="staff:evaluation:score:save"
    )
    async def save_scores(self, request: Request, scenario_id: Id, proposal_id: Id) -> Template | Redirect:
        page = await scoring.scoring_page(scenario_id, proposal_id, request.user.id)  # rights first
        form = await read_form(request)
        entries, errors = [], {}
        for c in page["criteria"]:
            raw = form.get(f"score_{c['id']}", "").strip()
            comment = form.get(f"comment_{c['id']}", "")
            if raw == "":
                entries.append(scoring.ScoreInput(c["id"], None, comment))
            elif raw.lstrip("-").isdigit() and len(raw) <= 3:
                entries.append(scoring.ScoreInput(c["id"], int(raw), comment))
            else:
                errors[f"score_{c['id']}"] = f"「{c['name']}」的评分须为 0 到 10 的整数。"
        try:
            if errors:
                raise ValidationFailed("评分未保存：" + "；".join(errors.values()), errors)
            await scoring.save_scores(proposal_id, entries, actor_of(request))
        except (ValidationFailed, Conflict) as exc:
            return await self._score_page(
                request,
                scenario_id,
                proposal_id,
                form=form,
                message=exc.message,
                errors=exc.errors if isinstance(exc, ValidationFailed) else {},
                status_code=exc.status_code,
            )
        return see_other(
            request.app.route_reverse(
                "staff:evaluation:score:proposal", scenario_id=scenario_id, proposal_id=proposal_id
            )
            + "?done=saved"
        )


CONTENT_LABELS = (
    ("summary", "方案摘要"),
    ("understanding", "对问题的理解"),
    ("approach", "技术路线与实施方法"),
    ("capability_answers", "能力覆盖说明"),
    ("data_needs", "所需数据与资源"),
    ("team", "团队"),
    ("timeline", "进度计划与里程碑"),
    ("cost_estimate", "报价"),
    ("pilot_plan", "试点计划"),
    ("success_indicators", "成效指标"),
)
