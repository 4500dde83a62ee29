"""evaluation indexes: 绩效评价 at a county's million orders

A county leader's team table of one month took 24 s: the period's dispatch and decline events,
the orders accepted in it and the 重复诉求 check each read far more rows than the period's
(bench/README.md, 绩效评价). Plain CREATE INDEX, no table rebuild.

Revision ID: 0019
Revises: 0018 (re-chained after this session's other migrations when merged)
Create Date: 2026-12-01 19:00:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0019'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_orderevent_action_at', 'orderevent',
                    ['action', 'at', 'team_id', 'order_id'], unique=False)
    op.create_index('ix_workorder_accepted_at', 'workorder', ['accepted_at'], unique=False)
    op.create_index('ix_workorder_site_category_submitted', 'workorder',
                    ['site_id', 'category_id', 'submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workorder_site_category_submitted', table_name='workorder')
    op.drop_index('ix_workorder_accepted_at', table_name='workorder')
    op.drop_index('ix_orderevent_action_at', table_name='orderevent')
