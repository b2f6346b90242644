"""Forum core: accounts, boards, threads, posts

Revision ID: 9a838238e953
Revises: 
Create Date: 2026-11-22 16:54:09.139510

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9a838238e953'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('slug', name=op.f('uq_sections_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('stakeholder_group', sa.Enum('government', 'civil_society', 'private_sector', 'intergovernmental', 'academic_technical', name='stakeholdergroup', native_enum=False, length=32), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('accredited', sa.Boolean(), nullable=False),
    sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('is_suspended', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('session_salt', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('boards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.Enum('action_line', 'bureau', 'coordination', name='boardkind', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('facilitators', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('read_policy', sa.Enum('public', 'signed_in', 'members', name='readpolicy', native_enum=False, length=32), nullable=False),
    sa.Column('post_policy', sa.Enum('verified', 'accredited_or_members', 'members', 'coordinators', name='postpolicy', native_enum=False, length=32), nullable=False),
    sa.Column('thread_count', sa.Integer(), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('last_post_id', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['boards.id'], name=op.f('fk_boards_parent_id_boards'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['section_id'], ['sections.id'], name=op.f('fk_boards_section_id_sections'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_boards')),
    sa.UniqueConstraint('code', name=op.f('uq_boards_code')),
    sa.UniqueConstraint('slug', name=op.f('uq_boards_slug'))
    )
    op.create_table('board_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('coordinator', 'member', name='role', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_board_roles_board_id_boards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_board_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_roles')),
    sa.UniqueConstraint('board_id', 'user_id', 'role', name='uq_board_roles_board_user_role')
    )
    with op.batch_alter_table('board_roles', schema=None) as batch_op:
        batch_op.create_index('ix_board_roles_user', ['user_id'], unique=False)

    op.create_table('threads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_count', sa.Integer(), nullable=False),
    sa.Column('is_pinned', sa.Boolean(), nullable=False),
    sa.Column('is_locked', sa.Boolean(), nullable=False),
    sa.Column('first_post_id', sa.Integer(), nullable=True),
    sa.Column('last_post_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_threads_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f('fk_threads_board_id_boards'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_threads'))
    )
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_threads_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_threads_board_listing', ['board_id', 'is_pinned', 'last_activity_at', 'id'], unique=False)

    op.create_table('posts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('edited_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('published', 'pending', 'hidden', 'deleted', name='poststatus', native_enum=False, length=32), nullable=False),
    sa.Column('source', sa.Enum('web', 'email', name='postsource', native_enum=False, length=32), nullable=False),
    sa.Column('revision_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_posts_author_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['edited_by_id'], ['users.id'], name=op.f('fk_posts_edited_by_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_posts_thread_id_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posts'))
    )
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_author_listing', ['author_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_posts_thread_listing', ['thread_id', 'status', 'created_at', 'id'], unique=False)

    op.create_table('post_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('body_source', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_revisions_post_id_posts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['users.id'], name=op.f('fk_post_revisions_written_by_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_post_revisions'))
    )
    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_revisions_post_id'), ['post_id'], unique=False)

    # Boards and threads point at posts, which point back at threads: these keys
    # can only be added once the posts table exists.
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_boards_last_post_id_posts'), 'posts', ['last_post_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_threads_first_post_id_posts'), 'posts', ['first_post_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_threads_last_post_id_posts'), 'posts', ['last_post_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_threads_last_post_id_posts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_threads_first_post_id_posts'), type_='foreignkey')
    with op.batch_alter_table('boards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_boards_last_post_id_posts'), type_='foreignkey')
    with op.batch_alter_table('post_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_revisions_post_id'))

    op.drop_table('post_revisions')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_thread_listing')
        batch_op.drop_index('ix_posts_author_listing')

    op.drop_table('posts')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_board_listing')
        batch_op.drop_index(batch_op.f('ix_threads_author_id'))

    op.drop_table('threads')
    with op.batch_alter_table('board_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_board_roles_user')

    op.drop_table('board_roles')
    op.drop_table('boards')
    op.drop_table('users')
    op.drop_table('sections')
