"""order facts: what 绩效评价 reads of each order, one narrow row per order
(models/rollups.OrderFact), filled from the orders already there

A year's evaluation tables at a county's million orders took 4–6 s: 144,000 due orders read
out of the 3 GB order table, each with probes of its events (corrected, urged, who dispatched
it first and last). The index of events by action and time also gets the actor, so that a
year's dispatches per 中心管理员 are read from it alone. The fill is services/order_facts.rebuild, the same function as `python -m diandan
rollups rebuild`, in the migration's transaction, with the configured time zone (on time is by
the local day).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 01:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('orderfact',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('dispatcher_id', sa.Integer(), nullable=True),
    sa.Column('first_dispatched_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('first_dispatcher_id', sa.Integer(), nullable=True),
    sa.Column('dispatch_hours', sa.Float(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('live', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('clean', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('urged', sa.Integer(), nullable=False),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('accept_hours', sa.Float(), nullable=True),
    sa.Column('completed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('beneficiaries', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['workorder.id'],
                            name=op.f('fk_orderfact_order_id_workorder')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_orderfact'))
    )
    _fill()
    op.create_index('ix_orderfact_due', 'orderfact',
                    ['due_on', 'live', 'site_id', 'team_id', 'created_by_id', 'dispatcher_id',
                     'done', 'clean', 'on_time', 'urged'], unique=False)
    op.create_index('ix_orderfact_accepted', 'orderfact',
                    ['accepted_at', 'site_id', 'team_id', 'accept_hours'], unique=False)
    op.create_index('ix_orderfact_completed', 'orderfact',
                    ['completed_at', 'site_id', 'team_id', 'created_by_id', 'item_id',
                     'beneficiaries'], unique=False)
    op.create_index('ix_orderfact_submitted', 'orderfact',
                    ['submitted_at', 'site_id', 'created_by_id'], unique=False)
    op.create_index('ix_orderfact_dispatched', 'orderfact',
                    ['first_dispatched_at', 'site_id', 'first_dispatcher_id', 'dispatch_hours'],
                    unique=False)
    # 中心管理员's dispatches of a period, with who made them, from the index alone.
    op.drop_index('ix_orderevent_action_at', table_name='orderevent')
    op.create_index('ix_orderevent_action_at', 'orderevent',
                    ['action', 'at', 'team_id', 'order_id', 'actor_id'], unique=False)


def _fill() -> None:
    # Before the indexes: one sorted build each instead of a million inserts into four trees.
    from sqlmodel import Session

    from core.config import BUSINESS_DEFAULTS
    from services import order_facts

    conn = op.get_bind()
    stored = conn.execute(sa.text("SELECT value FROM setting WHERE key = 'timezone'")).scalar()
    tz = stored or BUSINESS_DEFAULTS["timezone"]
    with Session(bind=conn) as session:
        order_facts.rebuild(session, tz=tz)
        session.flush()


def downgrade() -> None:
    op.drop_index('ix_orderevent_action_at', table_name='orderevent')
    op.create_index('ix_orderevent_action_at', 'orderevent',
                    ['action', 'at', 'team_id', 'order_id'], unique=False)
    op.drop_index('ix_orderfact_dispatched', table_name='orderfact')
    op.drop_index('ix_orderfact_submitted', table_name='orderfact')
    op.drop_index('ix_orderfact_completed', table_name='orderfact')
    op.drop_index('ix_orderfact_accepted', table_name='orderfact')
    op.drop_index('ix_orderfact_due', table_name='orderfact')
    op.drop_table('orderfact')
