"""ctid's bundled csv plugin: the `csv` directory backend type."""
