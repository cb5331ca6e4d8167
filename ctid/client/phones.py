"""The user's own phones as the client knows them: its lines (from its user's config) and their
live channels (from the phones' status), so that `hangup` alone means "my current call"."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MyPhones:
    """Lines of the logged-in user → their live channels, oldest first."""

    def __init__(self) -> None:
        self._channels: dict[str, list[str]] = {}

    def clear(self) -> None:
        """A new session: what the old one said is stale."""
        self._channels.clear()

    def learn_lines(self, reply: Mapping[str, Any]) -> list[str]:
        """Take the lines of the user's `updateconfig` answer; returns them."""
        config = reply.get("config")
        lines = config.get("linelist") if isinstance(config, Mapping) else None
        found = [str(line) for line in lines] if isinstance(lines, list) else []
        for line in found:
            self._channels.setdefault(line, [])
        return found

    def update(self, message: Mapping[str, Any]) -> None:
        """A phones `getlist` message (answer or push): keep my lines' channels."""
        tid, status = str(message.get("tid", "")), message.get("status")
        if tid in self._channels and isinstance(status, Mapping):
            channels = status.get("channels")
            if isinstance(channels, list):
                self._channels[tid] = [str(name) for name in channels]

    def current_channel(self) -> str | None:
        """My latest live channel, or None."""
        for channels in self._channels.values():
            if channels:
                return channels[-1]
        return None
