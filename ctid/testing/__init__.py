"""ctid's test kit, shipped for plugin authors too: in-process daemons, condition waits, and the
fakes that speak the real protocols (fake Asterisk AMI server, FastAGI client, CTI test client)."""

from ctid.testing.daemon import make_daemon, wait_until

__all__ = ["make_daemon", "wait_until"]
