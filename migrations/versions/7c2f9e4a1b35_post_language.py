"""The language each post is written in

Revision ID: 7c2f9e4a1b35
Revises: 3e7a1c94d2b6
Create Date: 2026-12-05 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c2f9e4a1b35'
down_revision = '3e7a1c94d2b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=16), nullable=False, server_default='en')
        )


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('language')
