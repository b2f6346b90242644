"""PostgreSQL full-text search: a tsvector per searchable post, its index, and the
forum's text search configurations (nothing on SQLite, which searches with Whoosh)

Revision ID: 4d7b2e9c1f60
Revises: 1c32292dc545
Create Date: 2026-12-05 13:10:00.000000

Extensions are optional: `unaccent` (a trusted extension, which a database owner may
create) folds accents before stemming, and `rum` (which needs a superuser, or an
administrator to have created it) ranks and sorts by date inside the index. Where one
cannot be created, the migration goes on without it; `flask search status` says what is
used.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4d7b2e9c1f60'
down_revision = '1c32292dc545'
branch_labels = None
depends_on = None

# The forum's configurations, each a copy of one PostgreSQL ships.
CONFIGURATIONS = {
    'forum_english': 'english',
    'forum_french': 'french',
    'forum_spanish': 'spanish',
    'forum_russian': 'russian',
    'forum_simple': 'simple',
}
# Tokens that may hold accented letters (ASCII ones go straight to the stemmer).
LETTER_TOKENS = 'word, hword, hword_part'
NUMBER_TOKENS = 'numword, numhword, hword_numpart'
# Addresses and paths are left out: their parts match nothing anyone types.
UNSEARCHED_TOKENS = 'email, url, host, url_path, file'


def _try(statement: str) -> bool:
    """Run a statement that may be refused (a missing extension or right) without
    aborting the migration's transaction."""
    connection = op.get_bind()
    savepoint = connection.begin_nested()
    try:
        connection.exec_driver_sql(statement)
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _schema_of(extension: str) -> str | None:
    """The schema an extension's objects are in (which may not be on the search path),
    creating the extension if it can; None when it is not there."""
    query = sa.text(
        'SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace '
        'WHERE e.extname = :name'
    )
    found = op.get_bind().execute(query, {'name': extension}).scalar()
    if found is None and _try(f'CREATE EXTENSION IF NOT EXISTS {extension}'):
        found = op.get_bind().execute(query, {'name': extension}).scalar()
    return found


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    unaccent = _schema_of('unaccent')
    rum = _schema_of('rum')
    for name, parent in CONFIGURATIONS.items():
        op.execute(f'CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {parent})')
        op.execute(f'ALTER TEXT SEARCH CONFIGURATION {name} DROP MAPPING IF EXISTS FOR {UNSEARCHED_TOKENS}')
        if unaccent:
            stem = 'simple' if parent == 'simple' else f'{parent}_stem'
            op.execute(
                f'ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR {LETTER_TOKENS} '
                f'WITH "{unaccent}".unaccent, {stem}'
            )
            op.execute(
                f'ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR {NUMBER_TOKENS} '
                f'WITH "{unaccent}".unaccent, simple'
            )
    op.execute(
        """
        CREATE TABLE search_documents (
            post_id integer NOT NULL,
            board_id integer NOT NULL,
            section_id integer NOT NULL,
            author_id integer NOT NULL,
            stakeholder_group varchar(32) NOT NULL,
            created_at timestamp with time zone NOT NULL,
            vector tsvector NOT NULL,
            CONSTRAINT pk_search_documents PRIMARY KEY (post_id),
            CONSTRAINT fk_search_documents_post_id_posts FOREIGN KEY (post_id)
                REFERENCES posts (id) ON DELETE CASCADE
        )
        """
    )
    if rum:
        # One index ranks (it keeps each lexeme's positions), the other sorts by date (it
        # keeps each entry's date).
        op.execute(
            'CREATE INDEX ix_search_documents_vector ON search_documents '
            f'USING rum (vector "{rum}".rum_tsvector_ops)'
        )
        op.execute(
            'CREATE INDEX ix_search_documents_by_date ON search_documents '
            f'USING rum (vector "{rum}".rum_tsvector_addon_ops, created_at) '
            "WITH (attach = 'created_at', to = 'vector')"
        )
    else:
        op.execute('CREATE INDEX ix_search_documents_vector ON search_documents USING gin (vector)')
    for column in ('created_at', 'board_id', 'section_id', 'author_id'):
        op.execute(f'CREATE INDEX ix_search_documents_{column} ON search_documents ({column})')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TABLE search_documents')
    for name in CONFIGURATIONS:
        op.execute(f'DROP TEXT SEARCH CONFIGURATION {name}')
