"""Who may see or do what in an evaluation: the evaluation domain's policy, in one place.

* **Managing** an evaluation (start it, assign evaluators, check eligibility, ask clarifications,
  note the consensus): active staff of the scenario's department and association admins
  (``require_manager``), read from the database so a role change applies at once.
* **The decision board** (ranking, every evaluator's scores, the decision page, the CSV/XLSX
  exports and the printable report): the same people, once the call is over (and a sealed
  scenario past its deadline), except an assigned evaluator who has not submitted his scores
  (blind scoring) (``board_scenario``). A scenario of another department is ``NotFound``.
* **Conflicts of interest on the board.** A staff member or admin who declared (or was flagged
  with) a conflict on a proposal is recused from it and from the decision:
  - the board, the exports and the report he reads leave that proposal out entirely (its number,
    lead, consortium, review, scores and comments, and the declarations about it), and rank the
    other proposals among themselves, so its place cannot be read from a gap; a line says how
    many proposals are hidden from him and why;
  - he may not shortlist, invite to a pitch, select, declare the call unsuccessful or publish
    (``NotAllowed``): colleagues without a conflict decide;
  - once the result is published, he sees what everyone sees on the public scenario page.
* Scoring: only the scenario's assigned evaluators, never on a proposal they are conflicted on
  (``conflicts.require_not_conflicted``).
"""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.accounts.tables import User
from marketplace.core import clock
from marketplace.core.audit import Actor
from marketplace.core.db import for_update
from marketplace.core.errors import Conflict, NotAllowed, NotFound
from marketplace.evaluation.tables import EvaluatorAssignment
from marketplace.proposals.tables import ConflictDeclaration
from marketplace.scenarios.status import STATUS_LABELS
from marketplace.scenarios.tables import Scenario

SCENARIO_NOT_FOUND = "场景不存在。"
NOT_MANAGER = "只有本部门工作人员或协会管理员可以组织该场景的评审。"
RECUSED = "您已就本场景的方案声明利益冲突（或被系统标记），已回避本场景的决定，由其他同事作出。"
# Scenario statuses in which the board exists (proposals are in, the call is over).
BOARD_STATUSES = ("closed", "evaluating", "shortlisted", "awarded", "piloting", "completed", "unsuccessful")


@dataclass(frozen=True)
class Person:
    id: int
    role: str
    department: int | None
    active: bool
    name: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


async def person(user_id: int | None) -> Person:
    row = (
        None
        if user_id is None
        else await User.select(
            User.id, User.role, User.department, User.active, User.display_name, User.email
        )
        .where(User.id == user_id)
        .first()
    )
    if row is None:
        raise NotAllowed("请先登录。")
    return Person(
        row["id"], row["role"], row["department"], row["active"], row["display_name"] or row["email"]
    )


async def get_scenario(scenario_id: int) -> dict:
    row = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.status,
            Scenario.department,
            Scenario.department.name,
            Scenario.proposal_deadline,
            Scenario.sealed,
            Scenario.closed_at,
        )
        .where(Scenario.id == scenario_id)
        .first()
    )
    if row is None:
        raise NotFound(SCENARIO_NOT_FOUND)
    return row


def is_manager(user: Person, scenario: dict) -> bool:
    """Department staff of the scenario or an admin (active)."""
    if not user.active:
        return False
    return user.is_admin or (user.role == "staff" and user.department == scenario["department"])


async def require_manager(scenario_id: int, actor: Actor) -> tuple[dict, Person]:
    scenario = await get_scenario(scenario_id)
    user = await person(actor.user_id)
    if not is_manager(user, scenario):
        raise NotAllowed(NOT_MANAGER)
    return scenario, user


@dataclass(frozen=True)
class Reader:
    """Who reads or decides, as the database says now."""

    user_id: int
    is_admin: bool
    department_id: int | None


async def reader_of(actor: Actor) -> Reader:
    if actor.user_id is None:
        raise NotAllowed("此操作需要部门工作人员或协会管理员账号。")
    row = await User.select(User.role, User.department, User.active).where(User.id == actor.user_id).first()
    if row is None or not row["active"] or row["role"] not in ("staff", "admin"):
        raise NotAllowed("此操作仅向部门工作人员和协会管理员开放。")
    if row["role"] == "staff" and row["department"] is None:
        raise NotAllowed("您的账号尚未归属部门。")
    return Reader(actor.user_id, row["role"] == "admin", row["department"])


async def recused_proposals(user_id: int, scenario_id: int) -> list[int]:
    """The proposals of the scenario ``user_id`` is conflicted on (declared or flagged)."""
    rows = await ConflictDeclaration.select(ConflictDeclaration.proposal).where(
        (ConflictDeclaration.scenario == scenario_id)
        & (ConflictDeclaration.evaluator == user_id)
        & (ConflictDeclaration.conflicted == True)
    )
    return sorted({r["proposal"] for r in rows})


async def board_scenario(
    actor: Actor, scenario_id: int, *, lock: bool = False, deciding: bool = False
) -> dict:
    """The scenario row if ``actor`` may read its evaluation board and decide on it.

    ``NotAllowed`` for members and anonymous callers, and for an assigned evaluator who has not
    submitted; ``NotFound`` for an unknown scenario or another department's; ``Conflict`` while
    the call is still open (or a sealed scenario before its deadline). The row's ``recused``
    lists the proposals the reader is conflicted on (left out of what he reads); with
    ``deciding`` (a decision action), a reader with any such proposal gets ``NotAllowed``.
    """
    reader = await reader_of(actor)
    query = Scenario.select(
        Scenario.id,
        Scenario.title,
        Scenario.department,
        Scenario.status,
        Scenario.public_status,
        Scenario.sealed,
        Scenario.proposal_deadline,
        Scenario.domain,
        Scenario.result_published_at,
        Scenario.key,
    ).where(Scenario.id == scenario_id)
    row = await (for_update(query) if lock else query).first()
    if row is None or (not reader.is_admin and row["department"] != reader.department_id):
        raise NotFound("场景不存在。")
    if row["status"] not in BOARD_STATUSES:
        raise Conflict("场景尚未截止，还不能评审和决定。")
    if row["sealed"] and (row["proposal_deadline"] is None or row["proposal_deadline"] > clock.now()):
        raise Conflict("密封场景在方案截止前不能查看方案。")
    assignment = (
        await EvaluatorAssignment.select(EvaluatorAssignment.submitted_at)
        .where(
            (EvaluatorAssignment.scenario == scenario_id) & (EvaluatorAssignment.evaluator == reader.user_id)
        )
        .first()
    )
    if assignment is not None and assignment["submitted_at"] is None:
        raise NotAllowed("您是本场景的评审专家，提交全部评分后才能查看排名、他人评分和导出。")
    row["status_label"] = STATUS_LABELS[row["status"]]
    row["recused"] = await recused_proposals(reader.user_id, scenario_id)
    if deciding and row["recused"]:
        raise NotAllowed(RECUSED)
    return row
