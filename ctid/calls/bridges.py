"""Bridges: which channels share one (BridgeUniqueid), and which pairs were told as linked.

Two channels talk to each other iff they are in the same bridge (AMI v2 bridging). A pair is
recorded when its `link` event goes out, so that its `unlink` names the same channel and peer
in the same order. A bridge is forgotten as soon as it is empty: nothing of it is needed to
re-learn it from the next BridgeEnter, and a lost BridgeDestroy then cannot leak it.
"""

from __future__ import annotations

import dataclasses

HOLDING_TECHNOLOGY = "holding_bridge"
"""Channels in a holding bridge (parking lots, agents waiting for calls) do not hear each other."""


@dataclasses.dataclass(slots=True)
class Bridge:
    """One bridge: its members in order of entry and its told links."""

    bridge_id: str
    holding: bool = False
    members: list[str] = dataclasses.field(default_factory=list)
    links: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class Bridges:
    """Every non-empty bridge, by BridgeUniqueid."""

    def __init__(self) -> None:
        self._bridges: dict[str, Bridge] = {}

    def __len__(self) -> int:
        return len(self._bridges)

    def enter(
        self, bridge_id: str, uniqueid: str, technology: str | None, *, link: bool
    ) -> list[str]:
        """Put a channel in a bridge; return the members it now talks to, if `link`.

        Those pairs are recorded as linked (entrant first). A holding bridge links nobody.
        `technology` is the BridgeTechnology, None when unknown (after a resync).
        """
        bridge = self._bridges.get(bridge_id)
        if bridge is None:
            bridge = self._bridges[bridge_id] = Bridge(bridge_id)
        if technology is not None:
            bridge.holding = technology == HOLDING_TECHNOLOGY
        if uniqueid in bridge.members:
            return []
        peers = [] if bridge.holding or not link else list(bridge.members)
        bridge.members.append(uniqueid)
        bridge.links.extend((uniqueid, peer) for peer in peers)
        return peers

    def leave(self, bridge_id: str, uniqueid: str) -> list[tuple[str, str]]:
        """Take a channel out of a bridge; return its linked pairs, now broken."""
        bridge = self._bridges.get(bridge_id)
        if bridge is None:
            return []
        if uniqueid in bridge.members:
            bridge.members.remove(uniqueid)
        broken = [pair for pair in bridge.links if uniqueid in pair]
        if broken:
            bridge.links = [pair for pair in bridge.links if uniqueid not in pair]
        if not bridge.members:
            del self._bridges[bridge_id]
        return broken

    def destroy(self, bridge_id: str) -> None:
        """Forget a bridge Asterisk destroyed (its members left already, per the AMI spec)."""
        self._bridges.pop(bridge_id, None)

    def drop_all(self) -> None:
        """Forget every bridge (a resync rebuilds membership from CoreShowChannel)."""
        self._bridges.clear()
