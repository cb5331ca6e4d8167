"""The logic of the two bundled FastAGI scripts, callerid_forphones and callerid_extend.

Both are plain functions of an `AgiSession`, its `AgiRequest` and a callable into the rest of the
daemon, so they run without pluggy or sockets.

`callerid_forphones` (XiVO's script of the same name, called right before dialling a phone): when
the caller name tells the user nothing (empty, `unknown`, equal to the number or all digits) it
sets `CALLERID(name)` to the reverse-lookup display (`dbr-display`) of the caller number in the
channel's context. No result, an empty one or a failing lookup leaves the name alone: a caller must
never miss a ring because a directory is down. The original also turned an unknown number into
`Inconnu`; that is left to the dialplan.

`callerid_extend` (XiVO's script, called in the DID path before the UserEvent that opens the
incoming-call sheet) sets `XIVO_SRCTON` to `agi_callington`, as the original did. On top of it, it
hands `dp-*` call values (those the dialplan sent with `UserEvent(dialplan2cti,…)`) back to the
dialplan: each name asked for in the `vars` query parameter or in the arguments (each split on
commas), e.g. `AGI(agi://127.0.0.1:5002/callerid_extend,company,vip)`, is set as
`XIVO_DP_<NAME>`. Since AGI() itself splits on commas,
`AGI(agi://127.0.0.1:5002/callerid_extend?vars=company,vip)` arrives as `vars=company` plus the
argument `vip`, and asks for the same two names. The variable name is the dp- name in
upper case with `-` turned into `_` (`dp-company` → `XIVO_DP_COMPANY`). Names are matched case-
insensitively, as dp- keys are stored in lower case. A name with no value is not set, so the
dialplan can test it with `${EXISTS(${XIVO_DP_COMPANY})}`; a name that is not letters, digits, `_`
or `-` is skipped with a warning. (The original's `cti2dialplan <dpvar> <ctivar>` did one variable
per call with a free target name; this keeps one fixed, predictable prefix.)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from ctid_fagi.protocol import AgiRequest
from ctid_fagi.session import AgiSession

logger = logging.getLogger(__name__)

ReverseLookup = Callable[[str, str], str | None]
"""`lookup(number, context)` → the display name for that caller, None when unknown."""
DialplanValues = Callable[[str], Mapping[str, str]]
"""`dialplan_values(uniqueid)` → that call's dp- values, keys without `dp-`, lower case."""

DP_PREFIX = "XIVO_DP_"
_DP_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def needs_name(number: str, name: str) -> bool:
    """Whether a caller name is worth replacing: empty, `unknown`, the number, or only digits."""
    name = name.strip()
    return not name or name.lower() == "unknown" or name == number or name.isdigit()


def callerid_forphones(
    session: AgiSession, request: AgiRequest, lookup: ReverseLookup
) -> str | None:
    """Set `CALLERID(name)` from a reverse lookup when the caller name says nothing.

    :returns: the name set, None when left alone.
    """
    number, name = request.callerid.strip(), request.calleridname
    if not number or number.lower() == "unknown" or not needs_name(number, name):
        return None
    try:
        display = lookup(number, request.context)
    except Exception:
        # Any backend failure must leave the call as it is rather than fail the AGI.
        logger.warning("reverse lookup of %s in %s failed", number, request.context, exc_info=True)
        return None
    display = (display or "").strip()
    if not display:
        logger.debug("no reverse-lookup name for %s in %s", number, request.context)
        return None
    session.set_variable("CALLERID(name)", display)
    logger.info("caller name of %s on %s set to %r", number, request.channel, display)
    return display


def requested_names(request: AgiRequest) -> list[str]:
    """The dp- names asked for in `?vars=a,b` and in the arguments, valid ones, first seen first."""
    raw = [*request.params.get("vars", "").split(","), *request.args]
    names: dict[str, None] = {}
    for item in raw:
        for name in (part.strip() for part in item.split(",")):
            if not name:
                continue
            if _DP_NAME.fullmatch(name) is None:
                logger.warning("callerid_extend: ignoring dp- name %r", name)
                continue
            names.setdefault(name.lower(), None)
    return list(names)


def dialplan_variable(name: str) -> str:
    """The channel variable that carries dp-`name`: `company` → `XIVO_DP_COMPANY`."""
    return DP_PREFIX + name.upper().replace("-", "_")


def callerid_extend(
    session: AgiSession, request: AgiRequest, dialplan_values: DialplanValues
) -> dict[str, str]:
    """Set `XIVO_SRCTON` and the requested `XIVO_DP_*` variables.

    :returns: every variable set, by name.
    """
    done = {"XIVO_SRCTON": request.callington}
    session.set_variable("XIVO_SRCTON", request.callington)
    names = requested_names(request)
    if not names:
        return done
    try:
        values = dialplan_values(request.uniqueid)
    except Exception:
        # Missing dp- values must not fail the call; the dialplan sees them unset.
        logger.warning("dp- values of %s unavailable", request.uniqueid, exc_info=True)
        return done
    for name in names:
        value = values.get(name)
        if value is None:
            logger.debug("callerid_extend: no dp-%s for %s", name, request.uniqueid)
            continue
        variable = dialplan_variable(name)
        session.set_variable(variable, value)
        done[variable] = value
    return done
