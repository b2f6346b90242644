"""Exit 0 when the PostgreSQL server of the given SQLAlchemy URL answers, 1 otherwise."""

import sys

import psycopg

url = sys.argv[1].replace("postgresql+psycopg://", "postgresql://", 1)
try:
    psycopg.connect(url, connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
