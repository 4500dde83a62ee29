"""data version

One row, `data_version` (id 1), whose counter `n` every committed write transaction moves on
(core/db.py does it for every session). A process that keeps figures in memory reads it once per
rerun and keys them by it, so that with two app processes on one PostgreSQL database a write in
one is seen by the other on its next rerun (issue 12).

Revision ID: 0006
Revises: 0010
Create Date: 2026-12-01 12:32:23.142705
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0006'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table('data_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('n', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_version'))
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table('data_version')
