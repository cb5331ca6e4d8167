"""User pictures for `{xivo-callerpicture}`: read from the user's `picture` file, bounded, cached.

A picture is read once per version of its file (path, size, modification time) and kept base64
encoded in a small LRU cache; a file larger than the bound is refused (logged once per
version), so a sheet never carries an unbounded payload nor reads the disk per call.
"""

from __future__ import annotations

import base64
import collections
import logging
import os

log = logging.getLogger(__name__)

Key = tuple[str, int, int]


class Pictures:
    """Base64 pictures by file, bounded in size and number."""

    def __init__(self, max_bytes: int, max_entries: int = 256) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._cache: collections.OrderedDict[Key, str | None] = collections.OrderedDict()

    def get(self, path: str) -> str | None:
        """The picture at `path`, base64; None when missing, unreadable or too large."""
        try:
            status = os.stat(path)
        except OSError:
            return None
        key = (path, status.st_size, status.st_mtime_ns)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        picture = self._read(path, status.st_size)
        self._cache[key] = picture
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return picture

    def _read(self, path: str, size: int) -> str | None:
        if size > self.max_bytes:
            log.warning("picture %s not sent: %d bytes, more than %d", path, size, self.max_bytes)
            return None
        try:
            with open(path, "rb") as file:
                data = file.read(self.max_bytes + 1)
        except OSError as exc:
            log.warning("picture %s not readable: %s", path, exc)
            return None
        if len(data) > self.max_bytes:
            return None
        return base64.b64encode(data).decode("ascii")
