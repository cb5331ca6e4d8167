"""`ctid-client`, the reference CTI client: logs in to ctid over TCP or TLS, shows sheets, calls
and presence as text or JSON lines, sends the commands typed at its prompt, and runs sheets'
urlauto actions through the same handler plugins as the daemon (docs/client.md)."""
