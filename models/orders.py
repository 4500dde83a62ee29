"""The order (工单) and its lifecycle: the states, the transitions between them, the named groups
of states every module uses, and what an order records — its events, beneficiaries and the
volunteers' service.

```
submitted ──dispatch──▶ dispatched ──accept──▶ accepted ──complete──▶ completed ──rate──▶ rated
    ▲                       │
    └──────decline (reason)─┘
submitted / dispatched / accepted ──cancel (reason)──▶ cancelled

(none) ──place──▶ submitted          (none) ──walk_in──▶ completed   (来访 served at a station)

With 中心审核 on (setting `review_required`), 完成 is a submission for review instead:
accepted ──submit──▶ in_review ──approve──▶ completed
    ▲                    │
    └──send_back (reason)┘
```
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import utc_now


class OrderStatus(StrEnum):
    submitted = "submitted"    # 待派单
    dispatched = "dispatched"  # 已派单
    accepted = "accepted"      # 已接单
    in_review = "in_review"    # 待审核: done by the team, waiting for a manager (中心审核)
    completed = "completed"    # 已完成
    rated = "rated"            # 已评价
    cancelled = "cancelled"    # 已取消


class OrderAction(StrEnum):
    """What an OrderEvent records: the six transitions, placing, and the events that leave the
    status as it is (a correction of a completion, a follow-up call, an urge — 催办)."""

    place = "place"
    dispatch = "dispatch"
    accept = "accept"
    decline = "decline"
    complete = "complete"
    rate = "rate"
    cancel = "cancel"
    correct = "correct"
    follow_up = "follow_up"
    walk_in = "walk_in"  # 来访: a resident served at a station's desk, placed and done at once
    urge = "urge"
    # 中心审核 (services/review.py): the team's report waits for a manager, who approves it or
    # sends it back to the team with a reason.
    submit = "submit"
    approve = "approve"
    send_back = "send_back"


S, A = OrderStatus, OrderAction

# A team's answer to a dispatch: 接单 or 退单. Both events carry the team that answered (accept
# events before migration 0021 did not; it filled them from the order). As literal SQL, the
# condition of the partial index ix_orderevent_team_answers: a query must say exactly this for
# SQLite to use it (a bound parameter would not match).
ANSWERS: tuple[OrderAction, ...] = (A.accept, A.decline)
ANSWERED_SQL = "action IN ('accept', 'decline')"

# The state machine: action → (the states it may start from, the state it leads to).
ALLOWED_TRANSITIONS: dict[OrderAction, tuple[tuple[OrderStatus, ...], OrderStatus]] = {
    A.dispatch: ((S.submitted,), S.dispatched),
    A.accept: ((S.dispatched,), S.accepted),
    A.decline: ((S.dispatched,), S.submitted),
    A.complete: ((S.accepted,), S.completed),
    A.rate: ((S.completed,), S.rated),
    A.cancel: ((S.submitted, S.dispatched, S.accepted), S.cancelled),
    A.submit: ((S.accepted,), S.in_review),
    A.approve: ((S.in_review,), S.completed),
    A.send_back: ((S.in_review,), S.accepted),
}

# The actions that make an order (no state before them) and the state each makes it in: 点单
# waits for a team; a 来访 at a station's desk was served on the spot, so it starts done.
ENTRY_ACTIONS: dict[OrderAction, OrderStatus] = {
    A.place: S.submitted,
    A.walk_in: S.completed,
}

# The named groups of states (tuples, in lifecycle order, so SQL `IN (…)` is always the same).
STATUS_ORDER: tuple[OrderStatus, ...] = tuple(OrderStatus)           # how lists and charts sort
OPEN: tuple[OrderStatus, ...] = (S.submitted, S.dispatched, S.accepted)  # not done, not cancelled
CANCELLABLE: tuple[OrderStatus, ...] = ALLOWED_TRANSITIONS[A.cancel][0]
RATABLE: tuple[OrderStatus, ...] = ALLOWED_TRANSITIONS[A.rate][0]     # done, waiting for 评单
WITH_TEAM: tuple[OrderStatus, ...] = (S.dispatched, S.accepted)      # a team holds it now
DONE: tuple[OrderStatus, ...] = (S.completed, S.rated)               # the service happened
CAN_BE_OVERDUE: tuple[OrderStatus, ...] = (*OPEN, S.completed)       # can be 超时 (services/sla.py)
# 待审核: the team has finished, nothing of it counts yet; neither open (no team works on it,
# no time limit runs, it cannot be cancelled) nor done (no figure, rating link or points).
IN_REVIEW: tuple[OrderStatus, ...] = ALLOWED_TRANSITIONS[A.approve][0]
UNFINISHED: tuple[OrderStatus, ...] = (*OPEN, *IN_REVIEW)            # keeps a site active


def next_status(current: OrderStatus, action: OrderAction | str) -> OrderStatus | None:
    """Where an action leads from the current state, or None when it may not start there."""
    action = OrderAction(action)
    if action not in ALLOWED_TRANSITIONS:  # an entry action, or one that keeps the status
        return None
    sources, target = ALLOWED_TRANSITIONS[action]
    return target if current in sources else None


class OrderSource(StrEnum):
    survey = "survey"
    walk_in = "walk_in"
    phone = "phone"
    letter = "letter"
    online = "online"
    activity = "activity"
    campaign = "campaign"  # 中心制单: made by issuing a campaign (models/campaigns.py)


class BeneficiaryGroup(StrEnum):
    elderly = "elderly"        # 老人
    children = "children"      # 儿童
    disabled = "disabled"      # 残障人士
    low_income = "low_income"  # 困难家庭
    women = "women"            # 妇女
    general = "general"        # 一般群众


class WorkOrder(SQLModel, table=True):
    """工单: one resident need on its way through the loop. Not called `order`, a reserved word
    in SQL."""

    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=20, unique=True)
    source: OrderSource
    site_id: int = Field(foreign_key="site.id")
    category_id: int = Field(foreign_key="servicecategory.id", index=True)
    item_id: int | None = Field(default=None, foreign_key="serviceitem.id", index=True)
    title: str = Field(max_length=80)
    description: str = Field(default="", max_length=2000)
    requester_name: str = Field(default="", max_length=40)
    requester_phone: str = Field(default="", max_length=20)
    due_on: date
    expected_beneficiaries: int = 0
    status: OrderStatus = Field(default=OrderStatus.submitted)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    # The service station whose desk served a 来访 (ENTRY_ACTIONS[walk_in]); empty otherwise.
    station_id: int | None = Field(default=None, foreign_key="station.id", index=True)
    created_by_id: int = Field(foreign_key="user.id", index=True)
    submitted_at: datetime = Field(default_factory=utc_now, index=True)
    dispatched_at: datetime | None = Field(default=None, index=True)
    accepted_at: datetime | None = None
    planned_on: date | None = None
    completed_at: datetime | None = None
    rated_at: datetime | None = None
    cancelled_at: datetime | None = None
    decline_count: int = 0
    last_decline_reason: str = Field(default="", max_length=500)
    cancel_reason: str = Field(default="", max_length=500)
    actual_beneficiaries: int | None = None
    completion_note: str = Field(default="", max_length=2000)
    # 中心审核: when a manager last decided on the team's report (the approve or send_back
    # event names who), the reason of the last return (shown to the team) and how many times
    # it was sent back. The report waiting for review is the submit event's detail.
    reviewed_at: datetime | None = None
    return_reason: str = Field(default="", max_length=500)
    return_count: int = 0
    version: int = 0

    __table_args__ = (
        CheckConstraint("expected_beneficiaries >= 0", name="expected_nonneg"),
        CheckConstraint("actual_beneficiaries IS NULL OR actual_beneficiaries >= 0",
                        name="actual_nonneg"),
        # Measured at county scale (bench/README.md): each serves a list or a tile from the
        # index alone, or returns rows already in the order the page wants.
        Index("ix_workorder_site_status", "site_id", "status"),
        Index("ix_workorder_site_submitted", "site_id", "submitted_at"),
        Index("ix_workorder_team_status", "team_id", "status"),
        Index("ix_workorder_status_submitted", "status", "submitted_at"),
        Index("ix_workorder_status_completed", "status", "completed_at", "site_id",
              "actual_beneficiaries"),
        Index("ix_workorder_due_submitted", "due_on", "submitted_at"),
        # 绩效评价 at a county's million orders (migration 0019): the orders accepted in a
        # period, and the 重复诉求 check's window of a site's later orders of one category.
        Index("ix_workorder_accepted_at", "accepted_at"),
        Index("ix_workorder_site_category_submitted", "site_id", "category_id", "submitted_at"),
    )


class OrderBeneficiary(SQLModel, table=True):
    """How many people of each group a completed order served."""

    order_id: int = Field(foreign_key="workorder.id", primary_key=True)
    group: BeneficiaryGroup = Field(primary_key=True)
    count: int

    __table_args__ = (CheckConstraint("count >= 0", name="count_nonneg"),)


class OrderEvent(SQLModel, table=True):
    """The audit trail of an order: one row per event (OrderAction), never updated."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="workorder.id")
    at: datetime = Field(default_factory=utc_now)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=20)
    from_status: OrderStatus | None = None
    to_status: OrderStatus
    team_id: int | None = Field(default=None, foreign_key="team.id")
    note: str = Field(default="", max_length=2000)  # the user's words (a reason, an outcome)
    # Figures of the change, as data: the UI words them (a correction's totals before and
    # after). NULL for most events.
    detail: dict | None = Field(default=None, sa_type=JSON)

    __table_args__ = (
        # An order's history, and whether it had an event of one kind (corrected, declined)
        # from the index alone; a period's dispatches and declines (绩效评价, 预警) likewise
        # (migration 0019).
        Index("ix_orderevent_order_action", "order_id", "action"),
        # … and who (actor_id, migration 0022): 中心管理员's dispatches of a year from the index
        Index("ix_orderevent_action_at", "action", "at", "team_id", "order_id", "actor_id"),
        # A team's answers to a dispatch (接单 and 退单, both carry the team), newest first:
        # 预警's "declined its last three" reads three entries per team (migration 0021).
        Index("ix_orderevent_team_answers", "team_id", "at", "id", "order_id", "action",
              sqlite_where=text(ANSWERED_SQL), postgresql_where=text(ANSWERED_SQL)),
        # A county's dispatches to and declines by each team of a period: two index ranges
        # per team instead of sorting the period's events (绩效评价, migration 0023).
        Index("ix_orderevent_team_action_at", "team_id", "action", "at"),
    )


class ServiceSource(StrEnum):
    """Where a service record comes from: an order's completion, or a station's duty (值班)."""

    order = "order"
    duty = "duty"


class ServiceRecord(SQLModel, table=True):
    """志愿服务记录: who served, for how long (actual service, travel excluded) — on an order, or
    on duty at a station (then order_id is empty and attendance_id names the marked day).

    A query that joins WorkOrder on order_id sees order service only (a duty row has no order);
    one over ServiceRecord alone (a volunteer's cumulative hours) counts duty too."""

    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="workorder.id")
    volunteer_id: int = Field(foreign_key="volunteer.id", index=True)
    hours: float
    served_at: datetime = Field(default_factory=utc_now)
    source: ServiceSource = Field(default=ServiceSource.order)
    attendance_id: int | None = Field(default=None, foreign_key="dutyattendance.id", unique=True)
    # The order's team, copied when the record is written (services/completions.py; None on
    # duty): a county's volunteers who served per team are one index range per team instead of
    # every record of the period joined to its order (services/order_facts.py keeps and checks
    # the copy; an order done keeps its team).
    team_id: int | None = None

    __table_args__ = (
        # NULLs are distinct in a unique constraint (SQLite and PostgreSQL alike): the pair is
        # unique for order rows, and duty rows (no order) are kept unique by attendance_id.
        UniqueConstraint("order_id", "volunteer_id", name="order_volunteer"),
        Index("ix_servicerecord_order_hours", "order_id", "volunteer_id", "hours"),
        # A volunteer's record, hours by year and new stars read (volunteer, time, hours) only.
        Index("ix_servicerecord_volunteer_served", "volunteer_id", "served_at", "hours"),
        # 绩效评价's volunteers who served, per team (services/evaluation.service)
        Index("ix_servicerecord_team_served", "team_id", "served_at", "volunteer_id"),
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_range"),
        CheckConstraint("(source = 'order' AND order_id IS NOT NULL AND attendance_id IS NULL)"
                        " OR (source = 'duty' AND order_id IS NULL AND attendance_id IS NOT NULL)",
                        name="source_link"),
    )
