"""ctid's bundled info plugin."""
