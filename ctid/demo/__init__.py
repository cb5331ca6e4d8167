"""`ctid demo`: ctid on a fresh machine without Asterisk. A simulated PBX (the fake Asterisk of
`ctid.testing`) plays a DID call, an internal call and a queue call in turn; the daemon runs
with the shipped demo config.d and phone book; the reference client shows the screen pops."""
