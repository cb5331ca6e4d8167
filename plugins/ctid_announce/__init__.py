"""ctid's bundled announce plugin."""
