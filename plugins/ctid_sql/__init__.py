"""ctid's bundled sql plugin: the `sql` directory backend type (SQLAlchemy Core)."""
