"""repeated orders: the 重复诉求 marks kept per order (models/rollups.RepeatedOrder), filled
from the orders already there

The fill is services/repeats.rebuild, the same function as `python -m diandan rollups rebuild`,
in the migration's transaction, with the configured `repeat_days` (about a minute at a county's
million orders).

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-01 22:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0020'
down_revision: Union[str, None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('repeatedorder',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['workorder.id'],
                            name=op.f('fk_repeatedorder_order_id_workorder')),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_repeatedorder'))
    )
    _fill()


def _fill() -> None:
    from sqlmodel import Session

    from core.config import BUSINESS_DEFAULTS
    from services import repeats

    conn = op.get_bind()
    stored = conn.execute(sa.text(
        "SELECT value FROM setting WHERE key = 'repeat_days'")).scalar()
    try:
        days = int(stored) if stored is not None else BUSINESS_DEFAULTS["repeat_days"]
    except ValueError:  # a hand-edited bad value: the settings fall back to the default too
        days = BUSINESS_DEFAULTS["repeat_days"]
    with Session(bind=conn) as session:
        repeats.rebuild(session, repeat_days=days)
        session.flush()


def downgrade() -> None:
    op.drop_table('repeatedorder')
