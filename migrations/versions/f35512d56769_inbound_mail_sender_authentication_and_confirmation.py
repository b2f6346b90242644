"""Inbound mail: how senders were authenticated, and confirmation of unauthenticated mail

Revision ID: f35512d56769
Revises: 9fe1b030dc39
Create Date: 2026-12-05 10:08:01.160415

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f35512d56769'
down_revision = '9fe1b030dc39'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('authenticated_by', sa.String(length=16), server_default='', nullable=False))
        batch_op.add_column(sa.Column('confirm_by', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_inbound_messages_outcome_confirm_by', ['outcome', 'confirm_by'], unique=False)


def downgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_outcome_confirm_by')
        batch_op.drop_column('confirm_by')
        batch_op.drop_column('authenticated_by')
