"""The status summary: one verdict and the few numbers an operator watches, from the detailed
status the daemon gathers (the AMI link, the call model, each plugin's state and report).

Pure: `summarize` reads the detailed parts and returns a JSON-ready mapping, the `summary` of
`Daemon.status()` that the info console's `show_infos` prints first. `health` is `ok` when there
is nothing to tell, else `degraded` with one human line per problem in `problems`: the AMI link
is not up, a plugin failed or keeps failing, a directory source is failing or did not start.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OK = "ok"
DEGRADED = "degraded"
COUNTED = ("clients", "users")
"""Report keys summed over every plugin: clients served (logged-in sessions), distinct users."""
DIRECTORIES = "directories"
"""The name the core's directory service reports under (its sources' health inside)."""


def summarize(ipbx: Mapping[str, Any], plugins: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The summary of a detailed status (`Daemon.status()`'s `ipbx` and `plugins`)."""
    problems = []
    if ipbx.get("link") != "up":
        detail = ipbx.get("detail") or "never connected"
        problems.append(f"AMI link to {ipbx.get('id')} is {ipbx.get('link')} ({detail})")
    failed, degraded = [], []
    for name, state in sorted(plugins.items()):
        if state.get("state") == "failed":
            failed.append(name)
            problems.append(f"plugin {name} failed: {state.get('last_failure') or 'see the log'}")
        elif state.get("state") == "degraded":
            degraded.append(name)
            last = state.get("last_failure")
            problems.append(f"plugin {name} raised {state.get('failures')} time(s), last: {last}")
    directories = {}
    for name, source in sorted(plugins.get(DIRECTORIES, {}).get(DIRECTORIES, {}).items()):
        directories[name] = str(source.get("state", "unknown"))
        if directories[name] in ("failing", "failed"):
            problems.append(f"directory {name} is {directories[name]}: {source.get('last_error')}")
    counted = {
        key: sum(int(state.get(key) or 0) for state in plugins.values() if _number(state, key))
        for key in COUNTED
    }
    return {
        "health": DEGRADED if problems else OK,
        "problems": problems,
        "ami": ipbx.get("link", "down"),
        **counted,
        "calls": int(ipbx.get("calls", 0)),
        "channels": int(ipbx.get("channels", 0)),
        "plugins": {"running": len(plugins) - len(failed), "degraded": degraded, "failed": failed},
        "directories": directories,
    }


def _number(state: Mapping[str, Any], key: str) -> bool:
    value = state.get(key)
    return isinstance(value, int) and not isinstance(value, bool)
