"""Site pages and their edits, site settings, and deleted accounts

Revision ID: b8d41f0c7e52
Revises: 4d7b2e9c1f60
Create Date: 2026-12-08 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d41f0c7e52'
down_revision = '4d7b2e9c1f60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_pages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_site_pages_updated_by_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_pages')),
        sa.UniqueConstraint('slug', 'language', name='uq_site_pages_slug_language'),
    )
    op.create_table(
        'site_page_edits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('page_id', sa.Integer(), nullable=False),
        sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('edited_by_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body_source', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_site_page_edits_edited_by_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['page_id'], ['site_pages.id'], name=op.f('fk_site_page_edits_page_id_site_pages'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_page_edits')),
    )
    op.create_index('ix_site_page_edits_page', 'site_page_edits', ['page_id', 'edited_at'], unique=False)
    op.create_table(
        'site_settings',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_site_settings_updated_by_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_site_settings')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
    op.drop_table('site_settings')
    op.drop_index('ix_site_page_edits_page', table_name='site_page_edits')
    op.drop_table('site_page_edits')
    op.drop_table('site_pages')
