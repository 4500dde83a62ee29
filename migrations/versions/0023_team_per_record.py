"""team per record: a service record carries its order's team, and the events and records are
indexed by team (绩效评价's 志愿服务队 table for a whole county)

The 志愿服务队 table for a county year took 1.4 s at a million orders (bench/README.md,
"Session 7"): its volunteers who served joined the year's 390,000 service records to their
orders and sorted them by team (0.4 s), and its dispatches and declines sorted the year's
136,000 events by team (0.12 s). With the order's team on each record, and an index of records
and of events by team and time, each team's figures are one index range.

The fill copies each order's team onto its records (services/completions.py writes it from
now on; an order that is done keeps its team, so the copy never goes stale, and
services/order_facts.check verifies it). No table rebuild: ADD COLUMN, an UPDATE by ranges of
ids so that no one statement holds millions of rows, CREATE INDEX.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 05:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500_000  # record ids per UPDATE

FILL = sa.text("""
UPDATE servicerecord SET team_id = (SELECT workorder.team_id FROM workorder
                                     WHERE workorder.id = servicerecord.order_id)
 WHERE order_id IS NOT NULL AND id >= :lo AND id < :hi
""")


def upgrade() -> None:
    op.add_column('servicerecord', sa.Column('team_id', sa.Integer(), nullable=True))
    bind = op.get_bind()
    lo, hi = bind.execute(sa.text("SELECT min(id), max(id) FROM servicerecord")).one()
    if lo is not None:
        for start in range(lo, hi + 1, BATCH):
            bind.execute(FILL, {"lo": start, "hi": start + BATCH})
    op.create_index('ix_servicerecord_team_served', 'servicerecord',
                    ['team_id', 'served_at', 'volunteer_id'], unique=False)
    op.create_index('ix_orderevent_team_action_at', 'orderevent',
                    ['team_id', 'action', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_orderevent_team_action_at', table_name='orderevent')
    op.drop_index('ix_servicerecord_team_served', table_name='servicerecord')
    with op.batch_alter_table('servicerecord') as batch:
        batch.drop_column('team_id')
