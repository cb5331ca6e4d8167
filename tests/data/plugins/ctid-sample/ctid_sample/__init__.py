"""A sample third-party ctid plugin."""
