"""ctid's bundled fagi plugin."""
