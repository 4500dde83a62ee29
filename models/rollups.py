"""Rollups: the period figures kept as running totals, so a leader's page reads a few hundred
rows instead of the period's orders (at a county's million orders the raw aggregates grew 9–12×
from 100 k). services/rollups.py is their only writer, inside the transaction of each change;
it also rebuilds them from the raw rows and checks that they agree.

Keys are local calendar periods, computed in Python from the configured time zone when the
change is written ('YYYY-MM-DD' for a day, 'YYYY-MM' for a month), so they are the same text on
SQLite and PostgreSQL. Changing the `timezone` setting rebuilds them (services/settings.py).
Every row is kept at two grains — `d` (a local day) and `m` (a local month) — so a long period
reads whole months and only its ragged ends by day. `team_id` and `item_id` are 0 for "none"
(primary key columns cannot be NULL on PostgreSQL); they are plain numbers, not foreign keys.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

DAY, MONTH, ALL_TIME = "d", "m", "a"
NO_TEAM = NO_ITEM = 0
# On SQLite, rows stored in primary-key order (WITHOUT ROWID): a period's rows are one range of
# the table itself instead of an index range plus a row lookup each. PostgreSQL ignores it.
CLUSTERED = {"sqlite_with_rowid": False}


class OrderRollup(SQLModel, table=True):
    """Per grain × local period × the order's site × team × category. Three kinds of facts, each
    counted in the period of its own moment:

    - orders *submitted* in the period, by their status now (`n_<status>`; team 0: an order is
      placed before it has a team, and these rows follow the order through every status);
    - orders *done* (已完成) in the period, by the team that did them: how many, how many by
      their due date (local day of completion ≤ due date), beneficiaries, service hours (in
      hundredths, so sums are exact), and the ratings those orders have received so far;
    - *ratings given* in the period, by level (`level_1` … `level_5`).
    """

    grain: str = Field(primary_key=True, max_length=1)
    period: str = Field(primary_key=True, max_length=10)
    site_id: int = Field(primary_key=True)
    team_id: int = Field(primary_key=True)
    category_id: int = Field(primary_key=True)
    n_submitted: int = 0
    n_dispatched: int = 0
    n_accepted: int = 0
    n_in_review: int = 0
    n_completed: int = 0
    n_rated: int = 0
    n_cancelled: int = 0
    done: int = 0
    done_on_time: int = 0
    beneficiaries: int = 0
    hours_x100: int = 0
    done_rated: int = 0
    done_rating_sum: int = 0
    level_1: int = 0
    level_2: int = 0
    level_3: int = 0
    level_4: int = 0
    level_5: int = 0

    __table_args__ = (
        # a team's record (teams.detail) reads one team's rows of a year
        Index("ix_orderrollup_team", "team_id", "grain", "period"),
        CLUSTERED,
    )


class ItemRollup(SQLModel, table=True):
    """Per menu item and the order's site: at grain `a` (period '') its orders over all time,
    the beneficiaries of its done orders, the local day of its latest order and its ratings by
    level; at grains `d` / `m` the ratings given in the period (the lowest-rated items)."""

    grain: str = Field(primary_key=True, max_length=1)
    period: str = Field(primary_key=True, max_length=10)
    site_id: int = Field(primary_key=True)
    item_id: int = Field(primary_key=True)
    orders: int = 0
    beneficiaries: int = 0
    last_order_on: str | None = Field(default=None, max_length=10)
    level_1: int = 0
    level_2: int = 0
    level_3: int = 0
    level_4: int = 0
    level_5: int = 0

    __table_args__ = (CLUSTERED,)


class VolunteerRollup(SQLModel, table=True):
    """Per grain × local period of completion × the order's site × volunteer: on how many of the
    period's done orders the volunteer served. The overview's 'active volunteers' counts the
    distinct volunteers with `orders > 0`."""

    grain: str = Field(primary_key=True, max_length=1)
    period: str = Field(primary_key=True, max_length=10)
    site_id: int = Field(primary_key=True)
    volunteer_id: int = Field(primary_key=True)
    orders: int = 0

    __table_args__ = (CLUSTERED,)


class VolunteerStars(SQLModel, table=True):
    """星级 moments: when a volunteer's cumulative service hours (all their service records,
    duty included, in the order served) first reached each star's threshold (`star_N_hours`,
    less services/stars.EPSILON); NULL while not reached. One row per volunteer with any
    record. services/stars.py is its only writer: every write of a service record refreshes its
    volunteers' rows in that transaction, and a change of a threshold rebuilds them all. The
    new-stars list (星级公示) reads these five moments instead of every record's hours."""

    volunteer_id: int = Field(primary_key=True, foreign_key="volunteer.id")
    star_1_at: datetime | None = None
    star_2_at: datetime | None = None
    star_3_at: datetime | None = None
    star_4_at: datetime | None = None
    star_5_at: datetime | None = None


class RepeatedOrder(SQLModel, table=True):
    """重复诉求 kept: one row per done order that a later order repeats (services/repeats.py
    says when; the definition is its `is_repeat`). The rule looks at every later order of the
    site and category, so computing it for a period's orders was most of a 绩效评价 table's
    time; the tables read this row instead. services/repeats.py is its only writer: every
    placement, completion, cancellation and 来访 refreshes the orders it can change, in that
    transaction; a change of `repeat_days` rebuilds them all."""

    order_id: int = Field(primary_key=True, foreign_key="workorder.id")


class OrderFact(SQLModel, table=True):
    """What 绩效评价 reads of each order, one narrow row per order (services/order_facts.py
    writes it; its `FACTS` are the definitions). A year's tables at a county's million orders
    took 4–6 s reading 144,000 due orders out of a 3 GB table with three event probes each
    (corrected, urged, last dispatcher); here each of the period's axes — due date, acceptance,
    completion, submission, first dispatch — is one covering index, read without touching a
    table row.

    A row is a function of its order's row and events only (重复诉求 stays in `repeatedorder`):
    every change of an order (placement, transition, correction, 催办, 来访) rewrites its row in
    that transaction; the `timezone` setting rebuilds them all (on time is by the local day).
    Flags are 0/1 integers so that sums are the same on SQLite and PostgreSQL."""

    order_id: int = Field(primary_key=True, foreign_key="workorder.id")
    site_id: int
    team_id: int | None = None
    created_by_id: int | None = None
    dispatcher_id: int | None = None  # who dispatched it last
    first_dispatched_at: datetime | None = None  # its first 派单 (each later one follows a 退单)
    first_dispatcher_id: int | None = None  # who made it
    dispatch_hours: float | None = None  # 点单 → first 派单
    item_id: int | None = None
    submitted_at: datetime
    due_on: date
    live: int  # not cancelled
    done: int  # 已完成 or 已评价
    clean: int  # never declined, never corrected or sent back by 中心审核
    on_time: int  # done, on or before the due date by the local day of completion
    urged: int  # 催办 at least once
    accepted_at: datetime | None = None
    accept_hours: float | None = None  # dispatch → acceptance, when both are recorded
    completed_at: datetime | None = None  # only while done
    beneficiaries: int = 0

    __table_args__ = (
        Index("ix_orderfact_due", "due_on", "live", "site_id", "team_id", "created_by_id",
              "dispatcher_id", "done", "clean", "on_time", "urged"),
        Index("ix_orderfact_accepted", "accepted_at", "site_id", "team_id", "accept_hours"),
        Index("ix_orderfact_completed", "completed_at", "site_id", "team_id", "created_by_id",
              "item_id", "beneficiaries"),
        Index("ix_orderfact_submitted", "submitted_at", "site_id", "created_by_id"),
        Index("ix_orderfact_dispatched", "first_dispatched_at", "site_id", "first_dispatcher_id",
              "dispatch_hours"),
    )
