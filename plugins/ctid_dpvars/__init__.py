"""ctid's bundled dpvars plugin: the `dp-*` sheet variables set by the dialplan."""
