"""Board and section titles and descriptions in the forum's other languages

Revision ID: 3e7a1c94d2b6
Revises: b5d2e8f41c07
Create Date: 2026-12-05 13:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e7a1c94d2b6'
down_revision = 'b5d2e8f41c07'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('sections', 'boards'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    for table in ('boards', 'sections'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
