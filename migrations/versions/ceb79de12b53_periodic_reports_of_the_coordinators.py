"""The coordinators' periodic reports and their revisions

A report covers a board and a period; each save of its draft is a revision; published,
its facts and references are frozen, and a correction is a new version linked both ways.

Revision ID: ceb79de12b53
Revises: 473d191cd413
Create Date: 2026-12-05 15:41:00.099712

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ceb79de12b53'
down_revision = '473d191cd413'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('draft', 'published', name='reportstate', native_enum=False, length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('correction_note', sa.Text(), nullable=False),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('facts', sa.JSON(), nullable=True),
    sa.Column('references', sa.JSON(), nullable=True),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('current_revision_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_reports_board_id_boards'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['reports.id'], name=op.f('fk_reports_corrected_by_id_reports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['corrects_id'], ['reports.id'], name=op.f('fk_reports_corrects_id_reports'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reports_created_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_reports_published_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_reports_thread_id_threads'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index('ix_reports_board_period', ['board_id', 'period_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_reports_corrects_id'), ['corrects_id'], unique=False)

    op.create_table('report_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sections', sa.JSON(), nullable=False),
    sa.Column('sections_html', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_report_revisions_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_revisions_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_revisions'))
    )
    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_revisions_report_id'), ['report_id'], unique=False)

    # The newest revision: a foreign key added once both tables exist.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_reports_current_revision_id_report_revisions'), 'report_revisions', ['current_revision_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reports_current_revision_id_report_revisions'), type_='foreignkey')

    with op.batch_alter_table('report_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_revisions_report_id'))

    op.drop_table('report_revisions')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_corrects_id'))
        batch_op.drop_index('ix_reports_board_period')

    op.drop_table('reports')
