"""The webi protocol as pure text ↔ decisions: splitting a message, naming each command, the CLI
whitelist, peer filtering and the reply lines. No sockets here (`ctid_webi.session` has them).

The web interface sends notifications (`xivo[userlist,update]`), reload requests and Asterisk CLI
commands. XiVO v1.1 relayed *any* CLI command to Asterisk, `core stop now` included; here only
the commands of `WHITELIST` (and `module reload <module>` with a plain module name) go through,
and what is sent is the canonical text rebuilt from the whitelist, never the client's bytes.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Iterable, Sequence

LITERAL_NEWLINE = "\\n"
"""XiVO v1.2's PHP joined commands with a single-quoted '\\n': two characters, not a newline."""
MAX_COMMANDS = 100
"""Commands run from one message; each may wait up to the CLI timeout."""

OK = "XIVO-WEBI:OK"
CLI_OK = "XIVO-CLI-WEBI:OK"

WHITELIST = frozenset(
    {
        "core show version",
        "core show channels",
        "dialplan reload",
        "module reload",
    }
)
"""CLI commands relayed as they are (after whitespace normalization)."""
_MODULE = re.compile(r"[A-Za-z0-9_]{1,64}(?:\.so)?")
"""`module reload <module>`: app_queue.so, res_pjsip, … No path, no quoting, no separator."""

USER_LISTS = frozenset({"user", "line", "phone"})
"""Lists ctid re-reads on a notice: users carry their lines (XiVO's phones)."""
NOOP_LISTS = frozenset(
    {"device", "agent", "queue", "group", "meetme", "voicemail", "incall", "trunk", "phonebook"}
)
"""Lists ctid has no source for: queues and agents come live from AMI, the others are not
modelled. Their notices are acknowledged and do nothing."""
RELOADS = frozenset({("cticonfig", "update"), ("daemon", "reload")})
"""Both reload the configuration; ctid keeps every client connected across a reload."""
_NOTICE = re.compile(r"xivo\[([a-z0-9_]+),([a-z]+)\]")

REFRESH_USERS = "refresh_users"
RELOAD = "reload"
NOTHING = "nothing"
CLI = "cli"
REFUSED = "refused"


@dataclasses.dataclass(frozen=True, slots=True)
class Command:
    """What one webi command asks for.

    `kind` is `refresh_users`, `reload`, `nothing` (an acknowledged no-op), `cli` (`text` is the
    canonical CLI command to send) or `refused` (`text` is the reason).
    """

    kind: str
    text: str = ""


def split_message(line: str) -> list[str]:
    """The commands of one received line: split on the literal two characters `\\n` (the
    v1.2 PHP quirk), surrounding blanks removed, empty ones dropped."""
    parts = (part.strip() for part in line.split(LITERAL_NEWLINE))
    return [part for part in parts if part]


def parse(command: str) -> Command:
    """Decide what a single command (one part of a message) asks for."""
    if command.startswith("xivo["):
        return _notice(command)
    canonical = cli_command(command)
    if canonical is None:
        return Command(REFUSED, "refused: not in the whitelist")
    return Command(CLI, canonical)


def _notice(command: str) -> Command:
    match = _NOTICE.fullmatch(command)
    if match is None:
        return Command(REFUSED, "unknown notification")
    target, verb = match.groups()
    if (target, verb) in RELOADS:
        return Command(RELOAD, target)
    if verb == "update" and target.endswith("list"):
        name = target.removesuffix("list")
        if name in USER_LISTS:
            return Command(REFRESH_USERS, target)
        if name in NOOP_LISTS:
            return Command(NOTHING, target)
    return Command(REFUSED, "unknown notification")


def cli_command(command: str) -> str | None:
    """The canonical form of a whitelisted CLI command, None when it is not whitelisted.

    Words are split on any whitespace and joined by single spaces; the result must equal a
    whitelist entry, or be `module reload` followed by one plain module name. Anything else
    (`;`, `|`, a second command, a path, different case) fails the exact comparison.
    """
    words = command.split()
    canonical = " ".join(words)
    if canonical in WHITELIST:
        return canonical
    if len(words) == 3 and words[:2] == ["module", "reload"] and _MODULE.fullmatch(words[2]):
        return canonical
    return None


def ko(reason: str) -> str:
    """The reply to a notification that failed or was not understood."""
    return f"XIVO-WEBI:KO <{reason}>"


def cli_ko(reason: str) -> str:
    """The last line of a CLI reply that failed, or the reply to a refused command."""
    return f"XIVO-CLI-WEBI:KO <{reason}>"


def cli_reply(ipbx_id: str, output: Iterable[str], ok: bool, reason: str = "") -> list[str]:
    """`XIVO-CLI-WEBI:ID <ipbx>`, Asterisk's output lines, then `:OK` or `:KO <reason>`."""
    lines = [f"XIVO-CLI-WEBI:ID {ipbx_id}"]
    lines += (printable(line) for line in output)
    lines.append(CLI_OK if ok else cli_ko(reason))
    return lines


def not_allowed(source: str) -> str:
    """The reply to a peer outside `allowed_sources` (XiVO v1.1's wording)."""
    return cli_ko(f"NOT ALLOWED FROM {printable(source)}")


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """`text` with control characters and line separators escaped (`\\r`, `\\x1b`…), so that
    one line of data stays one line on the wire."""
    return _UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(sources: Sequence[str]) -> list[Network]:
    """`allowed_sources` as networks; a bare address is a /32 (or /128)."""
    return [ipaddress.ip_network(source, strict=False) for source in sources]


def is_allowed(peer: str, allowed: Sequence[Network]) -> bool:
    """Whether a peer address is inside one of the allowed networks (IPv4-mapped IPv6
    addresses count as their IPv4 address)."""
    try:
        address = ipaddress.ip_address(peer.partition("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in allowed)
