"""ctid's bundled webi plugin."""
