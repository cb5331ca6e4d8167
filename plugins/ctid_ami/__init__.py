"""ctid's bundled ami plugin."""
