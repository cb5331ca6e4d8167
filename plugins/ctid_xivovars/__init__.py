"""ctid's bundled xivovars plugin: the `xivo-*` sheet variables."""
