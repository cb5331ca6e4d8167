"""Deliberately broken ctid plugins for failure-mode tests."""
