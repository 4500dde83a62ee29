"""a walk-in order (来访) names the service station whose desk served it (issue 15)

`workorder.station_id`: nullable, so every order written before keeps its meaning (none came
from a station's desk). Indexed for a station's walk-ins.

Revision ID: 0011
Revises: 0014 (written after 0004; chained after issue 16's 0014, merged first)
Create Date: 2026-12-01 15:40:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0011'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('workorder', schema=None) as batch_op:
        batch_op.add_column(sa.Column('station_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_workorder_station_id'), ['station_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_workorder_station_id_station'), 'station', ['station_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('workorder', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_workorder_station_id_station'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_workorder_station_id'))
        batch_op.drop_column('station_id')
