"""A board's listing index holds the columns the listing tests, so that a deep page
skips index entries instead of reading every thread before it

Revision ID: 5b1e0c7d2a94
Revises: 07c66e4e858f
Create Date: 2026-12-05 19:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b1e0c7d2a94'
down_revision = '07c66e4e858f'
branch_labels = None
depends_on = None

LISTING = ['board_id', 'is_pinned', 'last_activity_at', 'id']


def upgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_board_listing')
        batch_op.create_index(
            'ix_threads_board_listing',
            [*LISTING, 'post_count', 'is_deleted', 'merged_into_id'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_board_listing')
        batch_op.create_index('ix_threads_board_listing', LISTING, unique=False)
