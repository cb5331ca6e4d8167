"""Logging: secrets masked in messages and tracebacks, levels applied and reset on reload."""

import io
import logging

from ctid import logs


def test_secrets_are_masked_in_messages_and_tracebacks() -> None:
    formatter = logs.MaskingFormatter(logs.FORMAT)
    formatter.set_secrets(["hunter2-long", "abc"])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("ctid.test.masking")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError("bad secret hunter2-long")
        except ValueError:
            logger.exception("login with %s failed", "hunter2-long")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "hunter2-long" not in text
    assert text.count("***") >= 3  # the message, the source line and the exception text
    assert "abc" not in formatter.secrets  # too short to mask usefully


def test_a_logger_dropped_from_the_config_inherits_again() -> None:
    logs.apply_levels({"level": "info", "loggers": {"ctid.test.levels": "debug"}})
    assert logging.getLogger("ctid.test.levels").level == logging.DEBUG
    logs.apply_levels({"level": "info", "loggers": {}})
    assert logging.getLogger("ctid.test.levels").level == logging.NOTSET


def test_secret_values_are_found_in_lists_too() -> None:
    data = {"users": [{"login": "a", "password": "p1"}], "ipbx": {"ami": {"secret": "s"}}}
    assert logs.secret_values(data, lambda key: key in ("password", "secret")) == ["p1", "s"]
