"""evaluation indexes: 绩效评价 at a county's million orders

A county leader's team table of one month took 24 s: the period's dispatch and decline events,
the orders accepted in it, the 重复诉求 and 'was it corrected' checks each read far more rows
than the period's (bench/README.md, 绩效评价). Plain CREATE/DROP INDEX, no table rebuild.

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
    # (order_id, action) serves everything (order_id) did, and the 'was it corrected' check
    # from the index alone.
    op.drop_index('ix_orderevent_order_id', table_name='orderevent')
    op.create_index('ix_orderevent_order_action', 'orderevent', ['order_id', 'action'],
                    unique=False)
    op.create_index('ix_survey_site_respondent', 'survey', ['site_id', 'respondent'],
                    unique=False)
    op.create_index('ix_orderevent_action_at', 'orderevent',
                    ['action', 'at', 'team_id', 'order_id'], unique=False)
    op.create_index('ix_workorder_accepted_at', 'workorder', ['accepted_at'], unique=False)
    op.create_index('ix_workorder_site_category_submitted', 'workorder',
                    ['site_id', 'category_id', 'submitted_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_workorder_site_category_submitted', table_name='workorder')
    op.drop_index('ix_workorder_accepted_at', table_name='workorder')
    op.drop_index('ix_orderevent_action_at', table_name='orderevent')
    op.drop_index('ix_survey_site_respondent', table_name='survey')
    op.drop_index('ix_orderevent_order_action', table_name='orderevent')
    op.create_index('ix_orderevent_order_id', 'orderevent', ['order_id'], unique=False)
