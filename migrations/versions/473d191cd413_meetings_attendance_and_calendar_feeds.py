"""Meetings, attendance answers and the secret addresses of calendar feeds

Revision ID: 473d191cd413
Revises: 063128e3af9a
Create Date: 2026-12-05 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '473d191cd413'
down_revision = '063128e3af9a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('organiser_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('place', sa.String(length=300), nullable=False),
        sa.Column('online_link', sa.String(length=500), nullable=False),
        sa.Column('dial_in', sa.Text(), nullable=False),
        sa.Column('agenda_source', sa.Text(), nullable=False),
        sa.Column('agenda_html', sa.Text(), nullable=False),
        sa.Column('documents', sa.JSON(), nullable=False),
        sa.Column(
            'invitees',
            sa.Enum('members', 'followers', 'readers', name='invitees', native_enum=False,
                    length=32),
            nullable=False,
        ),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cancel_reason', sa.Text(), nullable=False),
        sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('thread_id', sa.Integer(), nullable=True),
        sa.Column('minutes_post_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['board_id'], ['boards.id'],
                                name=op.f('fk_meetings_board_id_boards'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['organiser_id'], ['users.id'],
                                name=op.f('fk_meetings_organiser_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'],
                                name=op.f('fk_meetings_thread_id_threads'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['minutes_post_id'], ['posts.id'],
                                name=op.f('fk_meetings_minutes_post_id_posts'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index('ix_meetings_board_starts', ['board_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_starts_at'), ['starts_at'], unique=False)

    op.create_table(
        'meeting_attendances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column(
            'answer',
            sa.Enum('in_person', 'online', 'not', name='answer', native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            'via',
            sa.Enum('web', 'mail', name='answersource', native_enum=False, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                                name=op.f('fk_meeting_attendances_meeting_id_meetings'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_meeting_attendances_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_attendances')),
        sa.UniqueConstraint('meeting_id', 'user_id', name='uq_meeting_attendances_meeting_user'),
    )
    with op.batch_alter_table('meeting_attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_attendances_user_id'), ['user_id'],
                              unique=False)

    op.create_table(
        'calendar_tokens',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_calendar_tokens_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_calendar_tokens')),
        sa.UniqueConstraint('token', name=op.f('uq_calendar_tokens_token')),
    )


def downgrade():
    op.drop_table('calendar_tokens')
    with op.batch_alter_table('meeting_attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_attendances_user_id'))
    op.drop_table('meeting_attendances')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_starts_at'))
        batch_op.drop_index('ix_meetings_board_starts')
    op.drop_table('meetings')
