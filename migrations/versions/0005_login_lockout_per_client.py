"""login lockout per client

Failed logins are counted per account *and* client (IP from the trusted proxy header, else the
browser session), so that five guesses lock out the guesser, not the account. The lockout table
holds only the last 15 minutes of failures, so it is rebuilt rather than altered: its rows say
nothing after a restart that they would not say after a quarter of an hour.

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-01 12:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0005'
down_revision: Union[str, None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_table('loginlockout')
    op.create_table('loginlockout',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('username', 'client', name=op.f('pk_loginlockout'))
    )
    with op.batch_alter_table('loginlockout', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginlockout_last_failure_at'), ['last_failure_at'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('loginlockout')
    op.create_table('loginlockout',
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_loginlockout'))
    )
