"""A plugin whose import fails, as one with a missing dependency would."""

import ctid_dependency_that_does_not_exist  # noqa: F401

Plugin = None
