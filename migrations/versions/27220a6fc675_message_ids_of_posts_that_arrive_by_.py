"""Message-IDs of posts that arrive by email

Revision ID: 27220a6fc675
Revises: efdf34556e49
Create Date: 2026-11-22 17:51:16.939750

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '27220a6fc675'
down_revision = 'efdf34556e49'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_posts_message_id'), ['message_id'])



def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_posts_message_id'), type_='unique')
        batch_op.drop_column('message_id')

