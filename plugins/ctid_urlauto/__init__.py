"""ctid's bundled urlauto plugin: http, https, tcp, udp and exec handlers for urlauto actions."""
