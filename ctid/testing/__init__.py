"""ctid's test kit, shipped for plugin authors too: in-process daemons, condition waits, and the
fakes that speak the real protocols (a fake Asterisk AMI server, a FastAGI client like Asterisk's,
a CTI test client)."""

from ctid.testing.daemon import make_daemon, wait_until
from ctid.testing.fagiclient import FakeAgiClient
from ctid.testing.fakeami import FakeAmi

__all__ = ["FakeAgiClient", "FakeAmi", "make_daemon", "wait_until"]
