"""The `cti` plugin: CTI clients on `listen.cti` (TCP) and `listen.ctis` (TLS), JSON lines."""
