"""Consultations listed on several boards

A thread may be a consultation: a question, a closing date, a summary, and the other
boards asked to list it, each request accepted or declined by their coordinators.

Revision ID: 9e2711d31f3c
Revises: 4a121a5c1687
Create Date: 2026-12-05 15:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e2711d31f3c'
down_revision = '4a121a5c1687'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_consultation', sa.Boolean(), nullable=False, server_default=sa.false()))

    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary_post_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_consultations_opened_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['summary_post_id'], ['posts.id'], name=op.f('fk_consultations_summary_post_id_posts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_consultations_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations')),
    sa.UniqueConstraint('thread_id', name=op.f('uq_consultations_thread_id'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index('ix_consultations_open', ['closed_at', 'closes_at'], unique=False)

    op.create_table('consultation_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('requested', 'accepted', 'declined', name='listingstate', native_enum=False, length=32), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_consultation_listings_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_listings_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_consultation_listings_decided_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_consultation_listings_requested_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_consultation_listings_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_listings')),
    sa.UniqueConstraint('consultation_id', 'board_id', name='uq_consultation_listings_board')
    )
    with op.batch_alter_table('consultation_listings', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_listings_board', ['board_id', 'state'], unique=False)
        batch_op.create_index('ix_consultation_listings_thread', ['thread_id'], unique=False)


def downgrade():
    with op.batch_alter_table('consultation_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_listings_thread')
        batch_op.drop_index('ix_consultation_listings_board')

    op.drop_table('consultation_listings')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_open')

    op.drop_table('consultations')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('is_consultation')
