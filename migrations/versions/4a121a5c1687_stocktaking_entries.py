"""Stocktaking entries

Activities reported to the stocktaking, with the action lines and countries they serve and
their revisions; held for review by the coordinators of their action lines.

Revision ID: 4a121a5c1687
Revises: ceb79de12b53
Create Date: 2026-12-05 15:40:50.562349

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4a121a5c1687'
down_revision = 'ceb79de12b53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stocktaking_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary_source', sa.Text(), nullable=False),
    sa.Column('summary_html', sa.Text(), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('stakeholder_group', sa.Enum('government', 'civil_society', 'private_sector', 'intergovernmental', 'academic_technical', name='stakeholdergroup', native_enum=False, length=32), nullable=False),
    sa.Column('lead_country', sa.String(length=2), nullable=False),
    sa.Column('scope', sa.Enum('countries', 'regional', 'global', name='scope', native_enum=False, length=32), nullable=False),
    sa.Column('status', sa.Enum('planned', 'ongoing', 'completed', name='entrystatus', native_enum=False, length=32), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('show_email', sa.Boolean(), nullable=False),
    sa.Column('keywords', sa.String(length=500), nullable=False),
    sa.Column('submitter_id', sa.Integer(), nullable=True),
    sa.Column('colleagues_may_edit', sa.Boolean(), nullable=False),
    sa.Column('review_state', sa.Enum('pending', 'changes_requested', 'published', 'rejected', name='reviewstate', native_enum=False, length=32), nullable=False),
    sa.Column('review_reason', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_stocktaking_entries_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitter_id'], ['users.id'], name=op.f('fk_stocktaking_entries_submitter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_stocktaking_entries_thread_id_threads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktaking_entries'))
    )
    with op.batch_alter_table('stocktaking_entries', schema=None) as batch_op:
        batch_op.create_index('ix_stocktaking_entries_listing', ['review_state', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktaking_entries_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_stocktaking_entries_submitter_id'), ['submitter_id'], unique=False)

    op.create_table('stocktaking_entry_boards',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_stocktaking_entry_boards_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['stocktaking_entries.id'], name=op.f('fk_stocktaking_entry_boards_entry_id_stocktaking_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'board_id', name=op.f('pk_stocktaking_entry_boards'))
    )
    with op.batch_alter_table('stocktaking_entry_boards', schema=None) as batch_op:
        batch_op.create_index('ix_stocktaking_entry_boards_board', ['board_id', 'entry_id'], unique=False)

    op.create_table('stocktaking_entry_countries',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['stocktaking_entries.id'], name=op.f('fk_stocktaking_entry_countries_entry_id_stocktaking_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'country', name=op.f('pk_stocktaking_entry_countries'))
    )
    with op.batch_alter_table('stocktaking_entry_countries', schema=None) as batch_op:
        batch_op.create_index('ix_stocktaking_entry_countries_country', ['country', 'entry_id'], unique=False)

    op.create_table('stocktaking_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_only', sa.Boolean(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['stocktaking_entries.id'], name=op.f('fk_stocktaking_revisions_entry_id_stocktaking_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_stocktaking_revisions_written_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktaking_revisions'))
    )
    with op.batch_alter_table('stocktaking_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_stocktaking_revisions_entry', ['entry_id', 'written_at'], unique=False)



def downgrade():
    with op.batch_alter_table('stocktaking_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktaking_revisions_entry')

    op.drop_table('stocktaking_revisions')
    with op.batch_alter_table('stocktaking_entry_countries', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktaking_entry_countries_country')

    op.drop_table('stocktaking_entry_countries')
    with op.batch_alter_table('stocktaking_entry_boards', schema=None) as batch_op:
        batch_op.drop_index('ix_stocktaking_entry_boards_board')

    op.drop_table('stocktaking_entry_boards')
    with op.batch_alter_table('stocktaking_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stocktaking_entries_submitter_id'))
        batch_op.drop_index(batch_op.f('ix_stocktaking_entries_status'))
        batch_op.drop_index('ix_stocktaking_entries_listing')

    op.drop_table('stocktaking_entries')
