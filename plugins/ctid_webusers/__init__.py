"""ctid's bundled webusers plugin: users from a JSON web service."""
