"""Replies and mentions in notices, and their mail settings

Notices of replies and mentions name their post; mentions look people up by name; each
person chooses whether replies and mentions come by email (on at first, as notices are).

Revision ID: 063128e3af9a
Revises: b8d41f0c7e52
Create Date: 2026-12-05 14:02:37.193851

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '063128e3af9a'
down_revision = 'b8d41f0c7e52'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mail_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replies', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('mentions', sa.Boolean(), nullable=False, server_default=sa.true()))

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('post_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notices_post_id'), ['post_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notices_post_id_posts'), 'posts', ['post_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_display_name'), ['display_name'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_display_name'))

    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notices_post_id_posts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notices_post_id'))
        batch_op.drop_column('post_id')

    with op.batch_alter_table('mail_settings', schema=None) as batch_op:
        batch_op.drop_column('mentions')
        batch_op.drop_column('replies')
