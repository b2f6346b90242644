"""Mail intake: answers kept per address and reason, the board a message went to, and
boards that hold mail from addresses with no account (non-member policy)

Revision ID: b5d2e8f41c07
Revises: a526a901c820
Create Date: 2026-12-05 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d2e8f41c07'
down_revision = 'a526a901c820'
branch_labels = None
depends_on = None

_OUTSIDE_MAIL = sa.Enum('refuse', 'hold_accounts', 'hold_all', name='outsidemail', native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('answered_to', sa.String(length=320), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_inbound_messages_board_id_boards'), 'boards', ['board_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_inbound_messages_board_outcome', ['board_id', 'outcome'], unique=False)
        batch_op.create_index('ix_inbound_messages_answered_to', ['answered_to', 'received_at'], unique=False)

    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_mail', _OUTSIDE_MAIL, nullable=False, server_default='refuse'))
    op.execute("UPDATE boards SET outside_mail = 'hold_accounts' WHERE holds_outside_mail")
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_column('holds_outside_mail')


def downgrade():
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holds_outside_mail', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE boards SET holds_outside_mail = true WHERE outside_mail <> 'refuse'")
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_column('outside_mail')

    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_messages_answered_to')
        batch_op.drop_index('ix_inbound_messages_board_outcome')
        batch_op.drop_constraint(batch_op.f('fk_inbound_messages_board_id_boards'), type_='foreignkey')
        batch_op.drop_column('answered_to')
        batch_op.drop_column('board_id')
