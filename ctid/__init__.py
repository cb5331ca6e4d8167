"""ctid: a CTI server for Asterisk, a small gevent core whose features are plugins."""

__version__ = "0.1.0.dev0"
