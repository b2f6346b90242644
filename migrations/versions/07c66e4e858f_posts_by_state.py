"""Posts by state: the held posts of a moderator's boards counted from the held posts

Revision ID: 07c66e4e858f
Revises: 9e2711d31f3c
Create Date: 2026-12-05 16:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '07c66e4e858f'
down_revision = '9e2711d31f3c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_status_thread', ['status', 'thread_id'], unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_status_thread')
