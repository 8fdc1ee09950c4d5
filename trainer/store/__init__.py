"""The progress database, the only package that speaks SQL.

- `records`: the plain frozen records every read and write returns.
- `reads`: every query, in plain sqlite3; `Snapshot` reads a database without loading SQLAlchemy.
- `database`: `Store` (SQLModel tables, migrations, writes in `BEGIN IMMEDIATE` transactions) and `open_store`.

Nothing is imported here, so that `trainer.store.reads` stays quick to import.
"""
