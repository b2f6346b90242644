"""An index of the posts waiting for approval

Revision ID: 62ce9559afab
Revises: 063128e3af9a
Create Date: 2026-12-05 16:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '62ce9559afab'
down_revision = '063128e3af9a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_posts_pending',
            ['status', 'thread_id'],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index(
            'ix_posts_pending',
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )
