"""The lists clients see (`getlist`): users, phones, queues, agents, channels, as config + status.

Each object is an `Item` (ctid_cti.views): an id, the contexts it belongs to (its tenant, for
parting), a config and a status. Items are built from the user directory, the call model and the
session state, and cached per list until something that feeds that list changes (`invalidate`).
Any other list name (the Qt client also asks for `voicemails` and `queuemembers`) is an empty
list, never an error: the client's loading dialog waits for an answer to each.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import ChannelInfo, CtiCommandError, Ctid, CtiSession, User
from ctid_cti import views
from ctid_cti.views import Item

SERVED = ("users", "phones", "queues", "agents", "channels")
MODEL_LISTS = ("phones", "queues", "agents", "channels")
"""Lists that change with the call model."""
_UUID_NAMESPACE = uuid.UUID("6c1f3a52-0d5e-4a8e-9d0b-5f2d8c7e4b11")


def ipbx_uuid(ipbx_id: str) -> str:
    """The `xivo_uuid` of users: a stable UUID for this ipbx id (a XiVO's own UUID names the
    server its users live on; clients only compare it)."""
    return str(uuid.uuid5(_UUID_NAMESPACE, ipbx_id))


class Catalog:
    """Builds and caches the lists; `invalidate` after whatever feeds them changed."""

    def __init__(
        self,
        ctid: Ctid,
        *,
        user_status: Callable[[str], dict[str, Any]],
        features: Callable[[str], Mapping[str, Any]],
        queue_contexts: Callable[[], Mapping[str, list[str]]],
    ) -> None:
        self.ctid = ctid
        self._user_status = user_status
        self._features = features
        self._queue_contexts = queue_contexts
        self._cache: dict[str, dict[str, Item]] = {}
        self._phones = views.ItemMemo()
        self._users = views.ItemMemo()

    def invalidate(self, *names: str) -> None:
        """Forget the cached lists `names` (all of them when none is given)."""
        for name in names or SERVED:
            self._cache.pop(name, None)

    def items(self, name: str) -> Mapping[str, Item]:
        """Every item of a list by id; {} for lists ctid does not serve (voicemails…)."""
        if name not in SERVED:
            return {}
        cached = self._cache.get(name)
        if cached is None:
            cached = self._cache[name] = {item.id: item for item in self._build(name)}
        return cached

    def _build(self, name: str) -> list[Item]:
        users = list(self.ctid.users.all().values())
        model = self.ctid.ipbx.model
        if name == "users":
            ipbx_id = self.ctid.ipbx.id
            items = [self._user(user, ipbx_id) for user in users]
            self._users.done()
            return items
        if name == "phones":
            devices, live, queues = model.phones().devices, model.channels(), model.queues()
            return views.phones(users, devices, live, queues, self._phones)
        if name == "channels":
            return views.channels(model.channels(), self.channel_contexts)
        if name == "queues":
            return views.queues(model.queues(), self.ctid.users, self._queue_contexts())
        return views.agents(users, model.agents(), model.queues())

    def _user(self, user: User, ipbx_id: str) -> Item:
        features, status = self._features(user.id), self._user_status(user.id)

        def build() -> Item:
            config = {
                "userid": user.id,
                "firstname": user.firstname,
                "lastname": user.lastname,
                "fullname": user.fullname,
                "mobilephonenumber": user.mobile,
                "agentid": user.agent,
                "linelist": [line.id for line in user.lines],
                "voicemailid": "",
                "enablevoicemail": False,
                "incallfilter": False,
                "xivo_uuid": ipbx_uuid(ipbx_id),
                **features,
            }
            return Item(user.id, user.contexts, config, status)

        return self._users.item(user.id, (user, ipbx_id, features, status), build)

    def channel_contexts(self, channel: ChannelInfo) -> frozenset[str]:
        """A channel's tenant: its owner's contexts, else the context it runs in."""
        owner = self.ctid.users.by_interface(channel.interface)
        if owner is not None:
            return owner.contexts
        return frozenset({channel.context}) if channel.context else frozenset()

    def queue_contexts(self, name: str) -> frozenset[str] | None:
        """A queue's tenant (configured, else its members' users'); None for an unknown queue."""
        item = self.items("queues").get(name)
        return item.contexts if item is not None else None


def getlist(
    catalog: Catalog, admits: Callable[[CtiSession, frozenset[str]], bool]
) -> Callable[[CtiSession, Mapping[str, Any]], None]:
    """The `getlist` command: `listid`, `updateconfig`, `updatestatus` of one list."""

    def visible(session: CtiSession, listname: str, item: Item) -> bool:
        mine = session.user is not None and listname == "users" and item.id == session.user.id
        return mine or admits(session, item.contexts)

    def handler(session: CtiSession, message: Mapping[str, Any]) -> None:
        function, listname = message.get("function"), message.get("listname")
        if not isinstance(function, str) or not isinstance(listname, str):
            raise CtiCommandError("missing:function,listname")
        ours = message.get("tipbxid", catalog.ctid.ipbx.id) == catalog.ctid.ipbx.id
        found = catalog.items(listname) if ours else {}
        head = {"function": function, "listname": listname, "tipbxid": catalog.ctid.ipbx.id}
        if function == "listid":
            ids = [key for key, item in found.items() if visible(session, listname, item)]
            session.reply(message, **head, list=ids)
            return
        if function not in ("updateconfig", "updatestatus"):
            raise CtiCommandError("unknown_function")
        if "tid" not in message:
            raise CtiCommandError("missing:tid")
        item = found.get(str(message["tid"]))
        if item is None or not visible(session, listname, item):
            raise CtiCommandError("unknown_id")
        key = "config" if function == "updateconfig" else "status"
        session.reply(message, **head, tid=item.id, **{key: getattr(item, key)})

    return handler
