"""AMI actions sent on behalf of clients: run off the session's reader, bounded, never raising.

A client command that needs Asterisk (ipbxcommand, featuresget/put) runs in its own greenlet so
the session keeps reading (a dial waits for the phone to answer); each session may have only a
few in flight. Every outcome becomes `(ok, message)`: Asterisk's own Message, or `ipbx_unavailable`
/ `ipbx_timeout` when there is no link or no answer in time.
"""

from __future__ import annotations

import dataclasses
import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ctid.api import ActionResult, ActionTimeout, CtiSession, Ipbx, IpbxUnavailable

log = logging.getLogger(__name__)

Fields = dict[str, str | Sequence[str]]


@dataclasses.dataclass(frozen=True)
class Action:
    """One AMI action: its name, its fields in order, and how long its answer may take."""

    name: str
    fields: Fields
    timeout: float


LINK_PROBLEMS = frozenset({"ipbx_unavailable", "ipbx_timeout"})


def outcome(ipbx: Ipbx, action: Action) -> tuple[bool, str]:
    """Send `action`; `(True, message)` when Asterisk accepted it, else `(False, reason)`."""
    result, problem = attempt(ipbx, action)
    return judge(result) if result is not None else (False, problem)


def attempt(ipbx: Ipbx, action: Action) -> tuple[ActionResult | None, str]:
    """Send `action`: its result, or None and why there is none."""
    try:
        return ipbx.send_action(action.name, action.fields, timeout=action.timeout), ""
    except IpbxUnavailable:
        return None, "ipbx_unavailable"
    except ActionTimeout:
        return None, "ipbx_timeout"
    except ValueError:
        # The AMI encoder refuses CR/LF in a value: caller data that slipped through.
        log.warning("AMI %s refused by the encoder", action.name)
        return None, "invalid"


def judge(result: ActionResult) -> tuple[bool, str]:
    """Success or not, counting an async Originate's OriginateResponse when it came back."""
    if not result.ok:
        return False, result.message or result.response or "failed"
    for event in result.events:
        if event.get("Event") == "OriginateResponse" and event.get("Response") != "Success":
            return False, f"originate_failed:{event.get('Reason', '')}"
    return True, result.message


class Runner:
    """Runs client work in greenlets, at most `limit()` at once per session."""

    def __init__(self, spawn: Callable[..., Any], limit: Callable[[], int]) -> None:
        self._spawn = spawn
        self._limit = limit
        self._running: weakref.WeakKeyDictionary[CtiSession, int] = weakref.WeakKeyDictionary()

    def start(self, session: CtiSession, work: Callable[[], None]) -> bool:
        """Start `work` for `session`; False (nothing started) when its share is in use."""
        running = self._running.get(session, 0)
        if running >= self._limit():
            return False
        self._running[session] = running + 1
        self._spawn(self._run, session, work)
        return True

    def _run(self, session: CtiSession, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("CTI command of %s failed", session.peer[0])
        finally:
            self._running[session] = self._running.get(session, 1) - 1

    def running(self) -> int:
        """Commands in flight, all sessions together."""
        return sum(self._running.values())


def send_fields(fields: Mapping[str, Any]) -> Fields:
    """Fields as the action API wants them (strings, or lists for repeated keys)."""
    return {key: value if isinstance(value, list) else str(value) for key, value in fields.items()}
