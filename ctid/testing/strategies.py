"""Hypothesis strategies for the fuzz tests (tests/fuzz/) and their long runs (bench/fuzz.py):
hostile input for every parser and decoder ctid exposes to a peer, an operator or a caller.

Drawing is what a long run spends its time on, so the strategies are built from token lists,
small alphabets and shallow structures (no regex strategies, no filters): hostility comes from
the tokens, which hold what broke CTI servers before (CR/LF, NUL, `]]>`, lone surrogates, huge
digit strings, `{placeholders}` inside values). No plugin is imported here: tests map the raw
draws onto plugin types themselves.
"""

from __future__ import annotations

import json
import os
import string
from collections.abc import Mapping, Sequence
from typing import Any

import voluptuous as vol
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES_VARIABLE = "CTID_FUZZ_EXAMPLES"
"""Overrides every fuzz test's example count (bench/fuzz.py sets it for long runs)."""


def fuzz_settings(examples: int) -> settings:
    """A fuzz test's settings: `examples` in the suite, `$CTID_FUZZ_EXAMPLES` when set."""
    count = int(os.environ.get(EXAMPLES_VARIABLE) or examples)
    return settings(
        max_examples=count,
        deadline=None,
        # Inputs are big on purpose, and a daemon round trip is slower than a pure function.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- text ----------------------------------------------------------------------------------

HOSTILE_TOKENS = (
    "", " ", "  ", "\t", "\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x1b[2J", "\x7f", "\x85",
    "\x9f", "\u2028", "\u2029", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ud800", "\udfff",
    "\U0001f600", "é", "ç", ":", ": ", '"', "'", "\\", '\\"', "{", "}", "]]>", "<", ">", "&",
    "&amp;", "&#0;", "<![CDATA[", "</sheet_info>", "%", "%0A", "%00", ";", "|", "&&", "$",
    "${CALLERID(num)}", "{xivo-calleridnum}", "{xivo-channel}", "Action: Hangup", "--END COMMAND--",
    "Response: Follows", "XIVO-INFO:OK", "xivo[", "]", ",", "/", "../", "9" * 5000, "1e400",
    "Ä" * 300,
)  # fmt: skip
"""Pieces of text that broke or could break a protocol, a template or a document."""

_CHARACTERS = (
    string.ascii_letters + string.digits + string.punctuation
    + "\x01\x02\x08\x1c\x1f\x80\x9b\xa0\xad\xe9\xff\u0301\u05d0\u0627\u200b\u200d\u202e"
    + "\u3000\u4e2d\uac00\ufdd0\ufff9\U0001d11e\U0001f4a9\U0010ffff\udbff\udc00"
)  # fmt: skip
TEXT_TABLE = (HOSTILE_TOKENS + tuple(_CHARACTERS))[:256]
"""What each byte of a drawn byte string stands for: a token, or one character of many kinds
(controls, combining marks, right-to-left, CJK, astral, noncharacters, surrogates)."""
_LINE_BREAKING = str.maketrans({"\r": " ", "\n": " "})


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_ENCODABLE_TABLE = tuple(piece for piece in TEXT_TABLE if _encodes(piece))


def tokens(table: Sequence[Any], max_size: int) -> st.SearchStrategy[list[Any]]:
    """Up to `max_size` entries of `table`: one byte string drawn, each byte an index. One
    draw instead of one per piece is what makes long runs several times faster; shrinking
    still works (shorter, then lower bytes: the first entries are the simplest)."""
    return st.binary(max_size=max_size).map(lambda data: [table[b % len(table)] for b in data])


def hostile_text(max_tokens: int = 6, *, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Short text mixing hostile tokens and characters of every kind."""
    return tokens(TEXT_TABLE if surrogates else _ENCODABLE_TABLE, max_tokens).map("".join)


def line_text(max_tokens: int = 6) -> st.SearchStrategy[str]:
    """Hostile text that fits on one line of a UTF-8 protocol: no CR, LF or lone surrogate."""
    return hostile_text(max_tokens, surrogates=False).map(lambda s: s.translate(_LINE_BREAKING))


# --- AMI -----------------------------------------------------------------------------------

AMI_TOKENS = (
    b"\r\n", b"\n", b"\r", b": ", b":", b"Event: ", b"Response: ", b"Success", b"Follows",
    b"Response: Follows", b"--END COMMAND--", b"Privilege: Command", b"ActionID: ", b"Output: ",
    b"Asterisk Call Manager/", b"11.0.0", b"\r\n\r\n", b"\n\n", b"\r\n\n", b"Uniqueid: 1.1",
    b"\xc3", b"\xa9", b"\xff", b"\xf0\x9f", b"\x00", b"x" * 40, b" " * 3,
)  # fmt: skip
AMI_NAMES = (
    "Event", "Response", "ActionID", "Message", "Privilege", "Channel", "Uniqueid", "Linkedid",
    "CallerIDNum", "CallerIDName", "Context", "Exten", "Variable", "Value", "Output", "Action",
    "action", "ACTIONID", "Actionid",
)  # fmt: skip
_NAME_ALPHABET = string.ascii_letters + string.digits + "-_"


def ami_bytes() -> st.SearchStrategy[bytes]:
    """A byte stream from AMI-shaped tokens and random bytes: banners, separators in every
    spelling, command output markers, cut UTF-8 sequences."""
    table = AMI_TOKENS + tuple(bytes([byte]) for byte in range(256 - len(AMI_TOKENS)))
    return tokens(table, 64).map(b"".join)


def cut_points() -> st.SearchStrategy[list[int]]:
    """Where to cut a stream into reads (taken modulo its length + 1 by the test)."""
    return st.lists(st.integers(min_value=0, max_value=4096), max_size=12)


def ami_field_names() -> st.SearchStrategy[str]:
    """Header names Asterisk sends (and spellings it would take as the same), and random ones."""
    return st.one_of(
        st.sampled_from(AMI_NAMES),
        tokens(_NAME_ALPHABET, 10).map("".join).map(lambda name: name or "X"),
    )


_NAME_TABLE = AMI_NAMES + tuple(
    "".join(_NAME_ALPHABET[(index * 7 + offset) % len(_NAME_ALPHABET)] for offset in range(size))
    for index in range(256 - len(AMI_NAMES))
    for size in [1 + index % 12]
)


def ami_messages() -> st.SearchStrategy[list[tuple[str, str]]]:
    """One well-formed message as `(name, value)` lines, values hostile but on one line.

    Drawn as one byte string (a name byte, a length byte, that many value bytes, again): the
    slowest strategy of the long runs otherwise."""
    return st.binary(min_size=1, max_size=64).map(_message)


def _message(data: bytes) -> list[tuple[str, str]]:
    lines = []
    index = 0
    while index < len(data):
        size = data[index + 1] % 8 if index + 1 < len(data) else 0
        pieces = data[index + 2 : index + 2 + size]
        value = "".join(_ENCODABLE_TABLE[b % len(_ENCODABLE_TABLE)] for b in pieces)
        lines.append((_NAME_TABLE[data[index]], value.translate(_LINE_BREAKING)))
        index += 2 + size
    return lines


def ami_command_output() -> st.SearchStrategy[list[str]]:
    """The CLI text of an Asterisk ≤ 13 `Response: Follows` block (lines that cannot be taken
    for its own header or end marker)."""
    output_line = line_text().map(
        lambda s: ("> " + s if s.startswith(("ActionID: ", "Privilege: ")) else s).replace(
            "--END COMMAND--", "--END"
        )
    )
    return st.lists(output_line, max_size=5)


def ami_fields() -> st.SearchStrategy[dict[str, str | list[str]]]:
    """The fields of an action a caller could pass to the encoder: anything goes."""
    value = st.one_of(hostile_text(), st.lists(hostile_text(), max_size=3))
    return st.dictionaries(st.one_of(ami_field_names(), hostile_text(3)), value, max_size=6)


# --- FastAGI -------------------------------------------------------------------------------

AGI_FIELDS = (
    "network", "network_script", "request", "channel", "uniqueid", "callerid", "calleridname",
    "context", "extension", "priority", "version", "arg_1", "arg_2", "arg_10", "arg_0",
    "arg_" + "9" * 4400, "arg_00001",
)  # fmt: skip
AGI_VALUES = (
    "agi://127.0.0.1:5002/incoming_call", "agi://[::1/x", "agi://a\uff03b/x", "agi://h:99999999/x",
    "agi://h/a%2Fb/c%00?x=1&x=2&y", "script?vars=a,b", "/", "?", "%", "unknown",
)  # fmt: skip
AGI_RESPONSES = (
    "200 result=1", "200 result=0", "200 result=1 (value)", "200 result=1 (a (b) c)",
    "200 result=1 (unclosed", "200 result= (timeout)", "200 result=-1 endpos=1234",
    "200 result=1 endpos=" + "9" * 5000, "200 result=" + "9" * 5000, "100 result=0 Trying...",
    "HANGUP", "510 Invalid or unknown command", "511 Command Not Permitted on a dead channel",
    "520-Invalid command syntax.  Proper usage follows:", " Usage: GET VARIABLE <name>",
    "520 End of proper usage.", "520-", "520 ", "999", "20", "2000 result=1", "",
)  # fmt: skip


def agi_header_lines() -> st.SearchStrategy[list[bytes]]:
    """An `agi_*` header as Asterisk (or anything else) could send it, blank line included."""
    name = st.one_of(st.sampled_from(AGI_FIELDS), tokens("abcdefgz_0123456789", 8).map("".join))
    value = st.one_of(st.sampled_from(AGI_VALUES), line_text())
    field = st.builds(lambda n, v: f"agi_{n}: {v}\n".encode(), name, value)
    junk = st.one_of(st.binary(max_size=12), line_text().map(lambda s: (s + "\n").encode()))
    lines = st.lists(st.one_of(field, field, junk), max_size=12)
    return st.builds(lambda body, end: [*body, end], lines, st.sampled_from([b"\n", b"\r\n"]))


def agi_response_lines() -> st.SearchStrategy[list[str]]:
    """Lines Asterisk could answer a command with, well-formed or not."""
    line = st.one_of(st.sampled_from(AGI_RESPONSES), line_text())
    return st.lists(line, min_size=1, max_size=8)


def agi_arguments() -> st.SearchStrategy[list[tuple[str, str | int]]]:
    """Command arguments as `(kind, value)`: kind `word` (sent bare), `text` or `int`."""
    argument = st.one_of(
        st.tuples(st.just("text"), hostile_text()),
        st.tuples(st.just("word"), hostile_text(3)),
        st.tuples(st.just("int"), st.integers(min_value=-(2**70), max_value=2**70)),
    )
    return st.lists(argument, max_size=6)


# --- CTI -----------------------------------------------------------------------------------

CTI_CLASSES = (
    "login_id", "login_pass", "login_capas", "keepalive", "logout", "getipbxlist", "getlist",
    "availstate", "ipbxcommand", "chitchat", "directory", "featuresget", "featuresput",
    "starttls", "", "login_", "unknown",
)  # fmt: skip
CTI_FIELDS = (
    "commandid", "command", "function", "listname", "tipbxid", "tid", "userid", "destination",
    "source", "pattern", "text", "to", "availstate", "value", "capaid", "userlogin",
    "xivoversion", "wazoversion", "password", "hashedpassword", "state", "status", "channelids",
    "channel", "member", "queue", "paused", "class",
)  # fmt: skip
CTI_WORDS = (
    "alice", "bob", "boss", "eve", "secret", "1.2", "2.3", "2.0", "default", "switchboard",
    "xivo", "user:xivo/bob", "user:special:me", "xivo/alice", "user:other/bob", "1002", "2001",
    "exten:1002", "phone:1", "chan:xivo/PJSIP/1001-1", "agent:xivo/1", "queue:xivo/q", "dial",
    "originate", "hangup", "transfer", "atxfer", "agentlogin", "queueadd", "queuepause", "listid",
    "updateconfig", "updatestatus", "users", "phones", "queues", "fwd", "enablednd", "enableunc",
    "available", "away", "",
)  # fmt: skip


class RawJson(str):
    """JSON text put on the wire as is: what `json.dumps` would never write (`1e400`, a lone
    surrogate escape, a 5000-digit number)."""

    __slots__ = ()


RAW_JSON = tuple(
    RawJson(text) for text in ("1e400", "-1e999", "1" * 5000, '"\\ud800"', '"\\udc00x"', "1E4")
)


def _json_text(value: Any) -> str:
    if isinstance(value, RawJson):
        return str(value)
    if isinstance(value, dict):
        items = (f"{_json_text(str(key))}:{_json_text(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_text(item) for item in value) + "]"
    return json.dumps(value)


def cti_scalars() -> st.SearchStrategy[Any]:
    """A JSON scalar a client could put anywhere."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from(CTI_WORDS),
        hostile_text(4),
        st.sampled_from(RAW_JSON),
    )


def cti_values() -> st.SearchStrategy[Any]:
    """A JSON value two levels deep at most (cheap to draw, deep enough to confuse a handler)."""
    scalar = cti_scalars()
    key = st.one_of(st.sampled_from(CTI_FIELDS), st.sampled_from(CTI_WORDS))
    return st.one_of(
        scalar,
        scalar,
        st.lists(scalar, max_size=3),
        st.dictionaries(key, scalar, max_size=3),
    )


def cti_lines() -> st.SearchStrategy[bytes]:
    """One client line: mostly a JSON object with a known or odd class and known fields of any
    type; sometimes not JSON at all."""
    kind = st.one_of(st.sampled_from(CTI_CLASSES), cti_scalars())
    fields = st.dictionaries(st.sampled_from(CTI_FIELDS), cti_values(), max_size=6)
    message = st.builds(lambda k, f: _json_text({**f, "class": k}).encode(), kind, fields)
    return st.one_of(message, message, message, st.binary(max_size=24))


# --- consoles ------------------------------------------------------------------------------

WEBI_TOKENS = (
    "core show version", "core show channels", "dialplan reload", "module reload",
    "module reload app_queue.so", "module reload res_pjsip", "core stop now", "module unload",
    "core", "show", "version", "module", "reload", "xivo[userlist,update]",
    "xivo[phonelist,update]", "xivo[queuelist,update]", "xivo[daemon,reload]",
    "xivo[cticonfig,update]", "xivo[foo,update]", "xivo[userlist,update", "\\n", "\\", "n", " ",
    "  ", "\t", "\r", "\x1c", "\x85", "\u2028", "\u3000", ";", "&&", "|", "../",
    "app_queue.so/../x", "Core Show Version", "\x00",
)  # fmt: skip
INFO_WORDS = (
    "help", "show_infos", "show_users", "show_phones", "show_queues", "show_agents",
    "show_channels", "show_calls", "loglevel", "dumpami", "token", "set", "enable", "disable",
    "debug", "info", "warning", "error", "critical", "ctid", "ctid.calls", "Newchannel,Hangup",
    "*", "ami", "kick", "disc", "sheet", "quit",
)  # fmt: skip


def webi_lines() -> st.SearchStrategy[bytes]:
    """One line on the webi port: whitelisted commands, near misses, notices, separators."""
    text = tokens((WEBI_TOKENS + TEXT_TABLE)[:256], 8).map("".join)
    encoded = text.map(lambda s: s.encode("utf-8", "surrogatepass"))
    return st.one_of(encoded, encoded, st.binary(max_size=16))


def info_lines(token: str) -> st.SearchStrategy[bytes]:
    """One line on the info console: commands, arguments, the token and near misses of it."""
    word = st.one_of(
        st.sampled_from(INFO_WORDS),
        st.sampled_from([token, token[:-1], token + "x", token.upper()]),
        hostile_text(2),
    )
    blank = st.sampled_from([" ", "  ", "\t", "\x0b", "\u3000", "\x85"])
    words = st.lists(st.tuples(word, blank), max_size=5)
    text = words.map(lambda pairs: "".join(w + b for w, b in pairs))
    encoded = text.map(lambda s: s.encode("utf-8", "surrogatepass"))
    return st.one_of(encoded, encoded, st.binary(max_size=16))


# --- configuration ---------------------------------------------------------------------------

YAML_TOKENS = (
    "ipbx:", "listen:", "users:", "profiles:", "sheets:", "plugins:", "directories:", "id:",
    "port:", "cti:", "enabled:", "login:", "password:", "lines:", "-", " ", "  ", "    ", "\n",
    "\t", ":", ": ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "&b [*b]", "<<: *a", "? ", "|",
    ">", "!!str ", "!!int ", "!!binary ", "!!python/object/apply:os.system ['true']", "!!set ",
    '"', "'", '"\\ud800"', '"\\x00"', "null", "~", "yes", "off", "on", ".nan", ".inf", "-.inf",
    "1e400", "0x1F", "0o17", "9" * 40, "2001-01-01", "%YAML 1.1\n", "---\n", "...\n", "#", "é",
    "\x00", "\ufeff", "\x85",
)  # fmt: skip


def yaml_documents() -> st.SearchStrategy[str]:
    """YAML-looking text: sections, indentation, flow collections, anchors, tags, odd scalars."""
    return tokens((YAML_TOKENS + TEXT_TABLE)[:256], 40).map("".join)


def yaml_values() -> st.SearchStrategy[Any]:
    """What YAML can put at a key: scalars of every type, short lists and mappings."""
    scalar = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([10**400, -(10**400)]),
        st.floats(),
        hostile_text(3),
        st.sampled_from(["5s", "250ms", "2m", "1h", "9" * 400 + "h", "-1s", "0", "127.0.0.1",
                         "::1", "ldap://h", "debug", "md5", "off", "require", "default"]),
    )  # fmt: skip
    key = st.one_of(hostile_text(2), st.integers(min_value=-2, max_value=2), st.booleans())
    return st.one_of(
        scalar, scalar, st.lists(scalar, max_size=3), st.dictionaries(key, scalar, max_size=3)
    )


def _key_name(key: Any) -> str | None:
    name = getattr(key, "schema", key)
    return name if isinstance(name, str) else None


def schema_documents(schema: Any, depth: int = 4) -> st.SearchStrategy[Any]:
    """Documents shaped like `schema`: its known keys (some of them), each holding either a
    document shaped like the key's own schema or any YAML value; now and then an unknown key."""
    node = schema.schema if isinstance(schema, vol.Schema) else schema
    if isinstance(node, list) and node and depth > 0:
        return st.one_of(yaml_values(), st.lists(schema_documents(node[0], depth - 1), max_size=2))
    if not isinstance(node, Mapping) or depth <= 0:
        return yaml_values()
    known = {name: value for key, value in node.items() if (name := _key_name(key)) is not None}
    if not known:
        return st.one_of(yaml_values(), st.dictionaries(hostile_text(2), yaml_values(), max_size=2))
    names = sorted(known)
    children = {name: schema_documents(known[name], depth - 1) for name in names}

    def build(chosen: Sequence[str], values: Sequence[Any], extra: Mapping[Any, Any]) -> Any:
        return {**dict(zip(chosen, values, strict=True)), **extra}

    chosen = st.lists(st.sampled_from(names), max_size=4, unique=True)
    return chosen.flatmap(
        lambda picked: st.builds(
            build,
            st.just(picked),
            st.tuples(*(children[name] for name in picked)),
            st.dictionaries(hostile_text(2), yaml_values(), max_size=1),
        )
    )


def schema_paths(schema: Any, depth: int = 6) -> list[tuple[str | int, ...]]:
    """Every key path `schema` declares, `0` standing for the item of a list."""
    node = schema.schema if isinstance(schema, vol.Schema) else schema
    if depth <= 0:
        return []
    if isinstance(node, list) and node:
        return [(0,), *((0, *rest) for rest in schema_paths(node[0], depth - 1))]
    if not isinstance(node, Mapping):
        return []
    paths: list[tuple[str | int, ...]] = []
    for key, value in node.items():
        name = _key_name(key)
        if name is not None:
            paths += [(name,), *((name, *rest) for rest in schema_paths(value, depth - 1))]
    return paths


def one_value_documents(schema: Any) -> st.SearchStrategy[Any]:
    """A document that sets one key path of `schema` to any YAML value, the rest left to the
    defaults: a bad value is then the only problem, and a value wrongly accepted shows."""
    return st.builds(_nest, st.sampled_from(schema_paths(schema)), yaml_values())


def _nest(path: tuple[str | int, ...], value: Any) -> Any:
    for part in reversed(path):
        value = [value] if isinstance(part, int) else {part: value}
    return value


# --- sheets --------------------------------------------------------------------------------

VARIABLE_NAMES = (
    "xivo-calleridnum", "xivo-calleridname", "xivo-channel", "xivo-did", "db-reverse", "dp-x",
    "a", "x-y-z", "", " ", "{", "xivo-", "-",
)  # fmt: skip
TEMPLATE_TOKENS = (
    "{", "}", "{}", "{{", "}}", "{xivo-calleridnum}", "{xivo-calleridname}", "{db-reverse}",
    "{unknown}", "{a}", "{x-y-z}", "{ }", "http://h/?q=", "&", "@", "%", "%s", "${X}", "\\",
    "text", " ", "exec:", "tel:", "callto:",
)  # fmt: skip


def templates() -> st.SearchStrategy[str]:
    """Sheet line templates: placeholders known and unknown, stray braces, URL pieces."""
    return tokens((TEMPLATE_TOKENS + TEXT_TABLE)[:256], 10).map("".join)


def variable_values() -> st.SearchStrategy[dict[str, str]]:
    """Variables as providers give them: names of several families, values holding
    placeholders, braces and every hostile token."""
    name = st.one_of(st.sampled_from(VARIABLE_NAMES), hostile_text(2))
    value = st.one_of(st.sampled_from(TEMPLATE_TOKENS), hostile_text())
    return st.dictionaries(name, value, max_size=6)


# --- calls ---------------------------------------------------------------------------------

CALL_EVENT_NAMES = (
    "Newchannel", "Newstate", "NewCallerid", "NewConnectedLine", "Newexten", "VarSet",
    "DialBegin", "DialState", "DialEnd", "BridgeCreate", "BridgeEnter", "BridgeLeave",
    "BridgeDestroy", "LocalBridge", "Hangup", "HangupRequest", "SoftHangupRequest", "Rename",
    "BlindTransfer", "AttendedTransfer", "Hold", "Unhold", "UserEvent", "QueueCallerJoin",
    "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberAdded", "QueueMemberRemoved",
    "QueueMemberPause", "QueueMemberStatus", "QueueMember", "QueueParams", "AgentCalled",
    "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "AgentLogin", "AgentLogoff", "Agents",
    "DeviceStateChange", "ExtensionStatus", "Cdr", "NoSuchEvent",
)  # fmt: skip
_SNAPSHOT = (
    "Channel", "Uniqueid", "Linkedid", "ChannelState", "ChannelStateDesc", "CallerIDNum",
    "CallerIDName", "ConnectedLineNum", "Context", "Exten", "Priority",
)  # fmt: skip
_PREFIXES = ("", "Dest", "LocalOne", "LocalTwo", "Transferer", "Transferee")
_OTHER = (
    "BridgeUniqueid", "BridgeTechnology", "DialString", "UserEvent", "Queue", "Interface",
    "StateInterface", "MemberName", "Agent", "Status", "Device", "State", "Newname", "Timestamp",
    "Cause", "AppData", "VARIABLE", "VALUE", "Hint", "Location", "BridgeId", "Event",
)  # fmt: skip
CALL_EVENT_KEYS = tuple(prefix + key for prefix in _PREFIXES for key in _SNAPSHOT) + _OTHER
_CALL_VALUES = (
    "1.1", "1.2", "2.1", "none", "", "<unknown>", "4", "default", "ctx",
    "Local/1@default-00000001;1", "Local/1@default-00000001;2", "PJSIP/a-1", "Agent/1", "Agent:1",
    "holding_bridge", "dialplan2cti", "Pop", "b1",
)  # fmt: skip


def call_fields(max_size: int = 14) -> st.SearchStrategy[dict[str, str]]:
    """AMI event fields the call model reads, with few distinct values so that ids, names and
    contexts collide and build real state."""
    value = st.one_of(st.sampled_from(_CALL_VALUES), line_text(4))
    return st.dictionaries(st.sampled_from(CALL_EVENT_KEYS), value, max_size=max_size)


def call_events() -> st.SearchStrategy[dict[str, str]]:
    """One AMI event of a known (or unknown) name with random call fields."""
    return st.builds(
        lambda name, fields: {**fields, "Event": name},
        st.sampled_from(CALL_EVENT_NAMES),
        call_fields(),
    )
