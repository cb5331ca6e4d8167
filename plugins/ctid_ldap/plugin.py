"""The `ldap` plugin: registers the `ldap` directory backend type; sources live in
`directories:` entries with `type: ldap` (see docs/directories-ldap.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ctid.api import BackendFactory, hookimpl
from ctid_ldap.backend import LdapBackend


class LdapPlugin:
    """No options of its own: each source carries its own in `directories:`."""

    config_schema: ClassVar[dict[Any, Any]] = {}

    @hookimpl
    def ctid_register_directory_backends(self) -> Mapping[str, BackendFactory]:
        return {"ldap": LdapBackend}
