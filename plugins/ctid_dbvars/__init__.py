"""ctid's bundled dbvars plugin: the `db-*` and `dbr-*` sheet variables from a reverse lookup."""
