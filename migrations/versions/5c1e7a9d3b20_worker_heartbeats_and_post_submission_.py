"""Worker heartbeats and post submission tokens

Revision ID: 5c1e7a9d3b20
Revises: 080048b565eb
Create Date: 2026-12-05 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7a9d3b20'
down_revision = '080048b565eb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'worker_heartbeats',
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('totals', sa.JSON(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('last_error_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_heartbeats')),
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            'uq_posts_author_submission', ['author_id', 'submission_token']
        )


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint('uq_posts_author_submission', type_='unique')
        batch_op.drop_column('submission_token')
    op.drop_table('worker_heartbeats')
