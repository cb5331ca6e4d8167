"""ctid's bundled ldap plugin: the `ldap` directory backend type."""
