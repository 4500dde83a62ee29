"""中心制单: campaigns and their targets; the order source 中心制单 (issue 16, part 1)

Independent of the other helpers' migrations of issue 16: only new tables, and a new value
of the PostgreSQL enum ordersource (SQLite stores the enum as text).

Revision ID: 0015
Revises: 0016 (written on 0013; chained 0013 → 0018 → 0019 → 0017 → 0016 → 0015 when the
session's branches were merged; it uses none of their tables)
Create Date: 2026-12-01 18:33:53.747492
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0015'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # PostgreSQL 12+ allows this inside the migration's transaction; the value is only
        # used by later transactions (an issued campaign), never by this one.
        op.execute("ALTER TYPE ordersource ADD VALUE IF NOT EXISTS 'campaign'")
    op.create_table('campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_campaign_campaign_dates')),
    sa.ForeignKeyConstraint(['category_id'], ['servicecategory.id'], name=op.f('fk_campaign_category_id_servicecategory')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_campaign_created_by_id_user')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user.id'], name=op.f('fk_campaign_issued_by_id_user')),
    sa.ForeignKeyConstraint(['item_id'], ['serviceitem.id'], name=op.f('fk_campaign_item_id_serviceitem')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_campaign_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign'))
    )
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_site_starts', ['site_id', 'starts_on'], unique=False)

    op.create_table('campaigntarget',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('expected_beneficiaries', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('expected_beneficiaries >= 0', name=op.f('ck_campaigntarget_target_expected_nonneg')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_campaigntarget_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['order_id'], ['workorder.id'], name=op.f('fk_campaigntarget_order_id_workorder')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_campaigntarget_site_id_site')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_campaigntarget_team_id_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigntarget')),
    sa.UniqueConstraint('order_id', name=op.f('uq_campaigntarget_order_id'))
    )
    with op.batch_alter_table('campaigntarget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigntarget_campaign_id'), ['campaign_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('campaigntarget', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigntarget_campaign_id'))

    op.drop_table('campaigntarget')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_site_starts')

    op.drop_table('campaign')
    # The schema before knows no 中心制单 source: its orders become 中心策划活动 (activity), the
    # nearest word it has. PostgreSQL cannot drop an enum value; the unused value stays.
    op.execute("UPDATE workorder SET source = 'activity' WHERE source = 'campaign'")
