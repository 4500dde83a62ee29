"""households, 户联系 pairs and visits, service stations and the duty rota (issue 15)

New tables for the household register and its tags, the party member ↔ household pairs (one
open pair per household: a partial unique index), visits, service stations with opening hours,
duty slots, assignments, one-off changes and attendance.

A service record can now come from duty as well as from an order: order_id becomes nullable,
`source` says which ('order' for every row written before), and `attendance_id` links a duty
record to the marked day (unique: a day's attendance is credited once). A check keeps the two
kinds apart. The unique (order_id, volunteer_id) pair stays: NULL order ids are distinct, so it
binds order rows only. A survey can name the registered household it was about.

Revision ID: 0010
Revises: 0003
Create Date: 2026-12-01 12:06:00.625064
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes types)


revision: str = '0010'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DEFAULT_TAGS = ('困难家庭', '空巢老人', '留守儿童', '残障', '低保', '独居老人', '优抚对象')


def upgrade() -> None:
    op.create_table('householdtag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_householdtag')),
    sa.UniqueConstraint('name', name=op.f('uq_householdtag_name'))
    )
    # The tags the seeds' centres use; managers add or retire words on the 户 page.
    tag = sa.table('householdtag', sa.column('name', sa.String), sa.column('sort_order', sa.Integer),
                   sa.column('active', sa.Boolean))
    op.bulk_insert(tag, [{'name': name, 'sort_order': i, 'active': True}
                         for i, name in enumerate(DEFAULT_TAGS, start=1)])
    op.create_table('household',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('head_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('people >= 1', name=op.f('ck_household_people_positive')),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_household_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household')),
    sa.UniqueConstraint('site_id', 'head_name', 'address', name='site_head_address')
    )
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.create_index('ix_household_site_head', ['site_id', 'active', 'head_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_site_id'), ['site_id'], unique=False)

    op.create_table('station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('services', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_station_site_id_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_station')),
    sa.UniqueConstraint('site_id', 'name', name='station_site_name')
    )
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_site_id'), ['site_id'], unique=False)

    op.create_table('dutyslot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('needed', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('needed >= 1', name=op.f('ck_dutyslot_needed_positive')),
    sa.CheckConstraint('start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute', name=op.f('ck_dutyslot_minutes_range')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_dutyslot_weekday_range')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_dutyslot_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dutyslot'))
    )
    with op.batch_alter_table('dutyslot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dutyslot_station_id'), ['station_id'], unique=False)

    op.create_table('householdtaglink',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_householdtaglink_household_id_household')),
    sa.ForeignKeyConstraint(['tag_id'], ['householdtag.id'], name=op.f('fk_householdtaglink_tag_id_householdtag')),
    sa.PrimaryKeyConstraint('household_id', 'tag_id', name=op.f('pk_householdtaglink'))
    )
    with op.batch_alter_table('householdtaglink', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_householdtaglink_tag_id'), ['tag_id'], unique=False)

    op.create_table('stationhours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.CheckConstraint('start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute', name=op.f('ck_stationhours_minutes_range')),
    sa.CheckConstraint('weekday >= 0 AND weekday <= 6', name=op.f('ck_stationhours_weekday_range')),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], name=op.f('fk_stationhours_station_id_station')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stationhours'))
    )
    with op.batch_alter_table('stationhours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stationhours_station_id'), ['station_id'], unique=False)

    op.create_table('contactpair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ended_on IS NULL OR ended_on >= started_on', name=op.f('ck_contactpair_end_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_contactpair_created_by_id_user')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['user.id'], name=op.f('fk_contactpair_ended_by_id_user')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_contactpair_household_id_household')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_contactpair_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contactpair'))
    )
    with op.batch_alter_table('contactpair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contactpair_household_id'), ['household_id'], unique=False)
        batch_op.create_index('ix_contactpair_open_household', ['household_id'], unique=True, sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
        batch_op.create_index(batch_op.f('ix_contactpair_volunteer_id'), ['volunteer_id'], unique=False)
        batch_op.create_index('ix_contactpair_volunteer_open', ['volunteer_id', 'ended_on'], unique=False)

    op.create_table('dutyassignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_dutyassignment_end_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_dutyassignment_created_by_id_user')),
    sa.ForeignKeyConstraint(['slot_id'], ['dutyslot.id'], name=op.f('fk_dutyassignment_slot_id_dutyslot')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_dutyassignment_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dutyassignment'))
    )
    with op.batch_alter_table('dutyassignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dutyassignment_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dutyassignment_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('dutyattendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('present', 'absent', 'swapped', name='attendancestatus'), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('marked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('hours >= 0 AND hours <= 24', name=op.f('ck_dutyattendance_hours_range')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['user.id'], name=op.f('fk_dutyattendance_marked_by_id_user')),
    sa.ForeignKeyConstraint(['slot_id'], ['dutyslot.id'], name=op.f('fk_dutyattendance_slot_id_dutyslot')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_dutyattendance_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dutyattendance')),
    sa.UniqueConstraint('slot_id', 'on_date', 'volunteer_id', name='attendance_slot_day_volunteer')
    )
    with op.batch_alter_table('dutyattendance', schema=None) as batch_op:
        batch_op.create_index('ix_dutyattendance_day', ['on_date', 'slot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dutyattendance_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('dutychange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('absence', 'swap', name='dutychangekind'), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'swap') = (substitute_id IS NOT NULL)", name=op.f('ck_dutychange_swap_substitute')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_dutychange_created_by_id_user')),
    sa.ForeignKeyConstraint(['slot_id'], ['dutyslot.id'], name=op.f('fk_dutychange_slot_id_dutyslot')),
    sa.ForeignKeyConstraint(['substitute_id'], ['volunteer.id'], name=op.f('fk_dutychange_substitute_id_volunteer')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_dutychange_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dutychange')),
    sa.UniqueConstraint('slot_id', 'on_date', 'volunteer_id', name='slot_day_volunteer')
    )
    with op.batch_alter_table('dutychange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dutychange_substitute_id'), ['substitute_id'], unique=False)

    op.create_table('contactvisit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('visited_on', sa.Date(), nullable=False),
    sa.Column('method', sa.Enum('home', 'phone', 'wechat', name='visitmethod'), nullable=False),
    sa.Column('topics', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('guidance', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_contactvisit_household_id_household')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_contactvisit_recorded_by_id_user')),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_contactvisit_survey_id_survey')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_contactvisit_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contactvisit')),
    sa.UniqueConstraint('survey_id', name=op.f('uq_contactvisit_survey_id'))
    )
    with op.batch_alter_table('contactvisit', schema=None) as batch_op:
        batch_op.create_index('ix_contactvisit_household_day', ['household_id', 'visited_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_contactvisit_volunteer_id'), ['volunteer_id'], unique=False)

    source = sa.Enum('order', 'duty', name='servicesource')
    source.create(op.get_bind(), checkfirst=True)  # PostgreSQL: add_column makes no type
    with op.batch_alter_table('servicerecord', schema=None) as batch_op:
        # Every record written so far is an order's; the default fills them, then goes.
        batch_op.add_column(sa.Column('source', source, nullable=False, server_default='order'))
        batch_op.add_column(sa.Column('attendance_id', sa.Integer(), nullable=True))
        batch_op.alter_column('order_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_servicerecord_attendance_id'), ['attendance_id'])
        batch_op.create_foreign_key(batch_op.f('fk_servicerecord_attendance_id_dutyattendance'), 'dutyattendance', ['attendance_id'], ['id'])
        batch_op.create_check_constraint(
            op.f('ck_servicerecord_source_link'),
            "(source = 'order' AND order_id IS NOT NULL AND attendance_id IS NULL)"
            " OR (source = 'duty' AND order_id IS NULL AND attendance_id IS NOT NULL)")
    with op.batch_alter_table('servicerecord', schema=None) as batch_op:
        batch_op.alter_column('source', existing_type=source, server_default=None)

    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_survey_household_id'), ['household_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_survey_household_id_household'), 'household', ['household_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_survey_household_id_household'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_survey_household_id'))
        batch_op.drop_column('household_id')

    # Duty records have no order: they cannot survive a schema whose records all need one.
    op.execute("DELETE FROM servicerecord WHERE order_id IS NULL")
    with op.batch_alter_table('servicerecord', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_servicerecord_source_link'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_servicerecord_attendance_id_dutyattendance'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_servicerecord_attendance_id'), type_='unique')
        batch_op.alter_column('order_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('attendance_id')
        batch_op.drop_column('source')

    with op.batch_alter_table('contactvisit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contactvisit_volunteer_id'))
        batch_op.drop_index('ix_contactvisit_household_day')

    op.drop_table('contactvisit')
    with op.batch_alter_table('dutychange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dutychange_substitute_id'))

    op.drop_table('dutychange')
    with op.batch_alter_table('dutyattendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dutyattendance_volunteer_id'))
        batch_op.drop_index('ix_dutyattendance_day')

    op.drop_table('dutyattendance')
    with op.batch_alter_table('dutyassignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dutyassignment_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_dutyassignment_slot_id'))

    op.drop_table('dutyassignment')
    with op.batch_alter_table('contactpair', schema=None) as batch_op:
        batch_op.drop_index('ix_contactpair_volunteer_open')
        batch_op.drop_index(batch_op.f('ix_contactpair_volunteer_id'))
        batch_op.drop_index('ix_contactpair_open_household', sqlite_where=sa.text('ended_on IS NULL'), postgresql_where=sa.text('ended_on IS NULL'))
        batch_op.drop_index(batch_op.f('ix_contactpair_household_id'))

    op.drop_table('contactpair')
    with op.batch_alter_table('stationhours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stationhours_station_id'))

    op.drop_table('stationhours')
    with op.batch_alter_table('householdtaglink', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_householdtaglink_tag_id'))

    op.drop_table('householdtaglink')
    with op.batch_alter_table('dutyslot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dutyslot_station_id'))

    op.drop_table('dutyslot')
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_site_id'))

    op.drop_table('station')
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_site_id'))
        batch_op.drop_index('ix_household_site_head')

    op.drop_table('household')
    op.drop_table('householdtag')
    for name in ('servicesource', 'attendancestatus', 'dutychangekind', 'visitmethod'):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
