"""volunteer stars: the moment each volunteer first reached each star (models/rollups.py
VolunteerStars), filled from the service records already there

The fill is services/stars.rebuild, the same function as `python -m diandan rollups rebuild`,
in the migration's transaction, with the configured star thresholds.

Revision ID: 0018
Revises: 0013 (re-chained after this session's other migrations when merged)
Create Date: 2026-12-01 19:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0018'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('volunteerstars',
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    *(sa.Column(f'star_{n}_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
      for n in range(1, 6)),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'],
                            name=op.f('fk_volunteerstars_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('volunteer_id', name=op.f('pk_volunteerstars'))
    )
    _fill()


def _fill() -> None:
    from sqlmodel import Session

    from core.config import BUSINESS_DEFAULTS
    from services import stars

    conn = op.get_bind()
    stored = dict(conn.execute(sa.text(
        "SELECT key, value FROM setting WHERE key LIKE 'star_%_hours'")).all())
    values = {f"star_{n}_hours": float(stored.get(f"star_{n}_hours")
                                       or BUSINESS_DEFAULTS[f"star_{n}_hours"])
              for n in range(1, 6)}
    with Session(bind=conn) as session:
        stars.rebuild(session, values=values)
        session.flush()


def downgrade() -> None:
    op.drop_table('volunteerstars')
