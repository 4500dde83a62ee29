"""team answers: accept events carry the team, and an index of each team's answers (预警)

预警's "a team whose last three answers to a dispatch were all 退单" ranked every accept and
decline event in the actor's area over all history, taking an accept's team from its order
(accept events were written without one): 4.96 s for a county leader at a million orders
(bench/README.md, 绩效评价/预警). Since this revision orders.accept writes the team on the event,
and this migration fills it into the accept events written before, from the order — the team
the query took from the order until now, so every figure stays the same (an accepted order
never changes team: only dispatch sets it and only decline, before acceptance, clears it).

Then a partial index of answers by (team_id, at, id) lets the rule read each team's newest
answers instead of all of them. No table rebuild (a plain UPDATE and CREATE INDEX); the UPDATE
goes through orderevent by ranges of ids so that no one statement holds millions of rows.

Revision ID: 0021
Revises: 0020 (written on 0015, independent of 0020: chained after it when main was merged)
Create Date: 2026-12-01 22:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ANSWERED = "action IN ('accept', 'decline')"
BATCH = 250_000  # ids per UPDATE: ~50 000 accept events at the bench's mix

FILL = sa.text("""
UPDATE orderevent SET team_id = (SELECT workorder.team_id FROM workorder
                                  WHERE workorder.id = orderevent.order_id)
 WHERE action = 'accept' AND team_id IS NULL AND id >= :lo AND id < :hi
""")


def upgrade() -> None:
    bind = op.get_bind()
    lo, hi = bind.execute(sa.text("SELECT min(id), max(id) FROM orderevent")).one()
    if lo is not None:
        for start in range(lo, hi + 1, BATCH):
            bind.execute(FILL, {"lo": start, "hi": start + BATCH})
    op.create_index('ix_orderevent_team_answers', 'orderevent',
                    ['team_id', 'at', 'id', 'order_id', 'action'], unique=False,
                    sqlite_where=sa.text(ANSWERED), postgresql_where=sa.text(ANSWERED))


def downgrade() -> None:
    # The accept events keep their team: the code before this revision reads it through
    # coalesce(event's team, order's team), which gives the same.
    op.drop_index('ix_orderevent_team_answers', table_name='orderevent',
                  sqlite_where=sa.text(ANSWERED), postgresql_where=sa.text(ANSWERED))
