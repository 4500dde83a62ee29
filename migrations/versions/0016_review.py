"""中心审核: the status 待审核 (in_review), the order's review columns and the rollups' count of
orders waiting for review (issue 16, part 2)

SQLite stores the status as VARCHAR(10) without a CHECK (SQLAlchemy 2 makes none for an Enum),
and 'in_review' fits: the new columns are plain ADD COLUMNs, no batch rebuild of workorder (so
0013's search triggers stay as they are). PostgreSQL has a native enum type `orderstatus`
(used by workorder.status and orderevent.from_status / to_status): ADD VALUE, allowed inside a
transaction since PostgreSQL 12 (the oldest the README supports), as long as the value is not
used in the same transaction — nothing here uses it.

Revision ID: 0016
Revises: 0017 (written on 0013; after main's 0018 → 0019 → 0017 since merging main; needs none)
Create Date: 2026-12-01 18:55:00
"""
import importlib.util
from pathlib import Path
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0016'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE orderstatus ADD VALUE IF NOT EXISTS 'in_review' AFTER 'accepted'")
    op.add_column('workorder', sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(),
                                         nullable=True))
    op.add_column('workorder', sa.Column('return_reason',
                                         sqlmodel.sql.sqltypes.AutoString(length=500),
                                         nullable=False, server_default=''))
    op.add_column('workorder', sa.Column('return_count', sa.Integer(), nullable=False,
                                         server_default='0'))
    op.add_column('orderrollup', sa.Column('n_in_review', sa.Integer(), nullable=False,
                                           server_default='0'))


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; 'in_review' stays in the type, unused once no
    # order is in it (move any waiting order back first: UPDATE … SET status = 'accepted').
    with op.batch_alter_table('orderrollup') as batch:
        batch.drop_column('n_in_review')
    with op.batch_alter_table('workorder') as batch:
        batch.drop_column('return_count')
        batch.drop_column('return_reason')
        batch.drop_column('reviewed_at')
    if op.get_bind().dialect.name == "sqlite":  # the batch rebuild dropped 0013's triggers
        _migration_0013().create_triggers()


def _migration_0013():
    spec = importlib.util.spec_from_file_location(
        "migration_0013", Path(__file__).with_name("0013_order_search.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
