"""Posts that answer posts (the reply tree), digest forms and numbers, board mail footers

Revision ID: a526a901c820
Revises: 0c145b574ae2
Create Date: 2026-12-05 10:23:49.372111

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a526a901c820'
down_revision = '0c145b574ae2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_footer', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('mail_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_form', sa.Enum('summary', 'plain', 'mime', name='digestform', native_enum=False, length=32), nullable=False, server_default='summary'))
        batch_op.add_column(sa.Column('digest_first_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('daily_volume', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('daily_issue', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('weekly_volume', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('weekly_issue', sa.Integer(), nullable=False, server_default='0'))

    # Replies written before keep no answered post: they answer their thread's first post.
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_posts_reply_to_id'), ['reply_to_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_posts_reply_to_id_posts'), 'posts', ['reply_to_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_reply_to_id_posts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_posts_reply_to_id'))
        batch_op.drop_column('reply_to_id')

    with op.batch_alter_table('mail_settings', schema=None) as batch_op:
        batch_op.drop_column('weekly_issue')
        batch_op.drop_column('weekly_volume')
        batch_op.drop_column('daily_issue')
        batch_op.drop_column('daily_volume')
        batch_op.drop_column('digest_first_year')
        batch_op.drop_column('digest_form')

    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_column('mail_footer')
