"""The call model: what Asterisk's AMI events mean for calls, told as normalized call events.

Pure: no sockets, no greenlets, no plugins. The AMI client feeds every event to
`CallModel.feed()` and hands the returned `CallEvent`s (ctid.callevents) on; clients read
snapshots (`channels()`, `calls()`, `queues()`, `agents()`, `phones()`).

What is modelled: channels by Uniqueid; calls by Linkedid (a channel whose Linkedid changes,
after a transfer or a bridge merge, moves to that call); bridges; Local channel pairs (`;1` and
`;2`, joined by name and by LocalBridge, are one logical leg); queue callers and members, agents,
device and hint states. Asterisk 13 to 22 (AMI 2.x to 11.x) field names.

When each call event is made (the channel it names is in brackets):

- `dial`: DialBegin [the caller; the dialled channel when there is none (Originate)]. Peer: the
  dialled channel; `called_num`: the dialled number (a Local peer's exten).
- `link`: BridgeEnter that puts the channel with others [the entrant], one per other member;
  `unlink`: BridgeLeave (or Hangup) of either, same channel and peer as the `link`.
- `hangup`: Hangup, once per logical leg (a channel, or both halves of a Local pair), and only
  for a leg named in an earlier call event: the first half named in one tells it, the other
  half's Hangup is silent. Channels no event named end silently: no sheet can wait for them.
- `incomingdid`: the call first runs dialplan in one of `incoming_contexts` (a Newexten there
  that is not the "(Outgoing Line)" placeholder of a dialled channel, or the Newchannel of a
  non-Local channel born ringing there) [that channel]; `did` = its exten. Once per call.
- `outcall`: the same with `outgoing_contexts`. Once per call.
- `incomingqueue` (QueueCallerJoin), `agentcalled` (AgentCalled), `agentlinked` (AgentConnect),
  `agentunlinked` (AgentComplete) [the queue caller; peer: the member's channel].
- `custom.<name>`: a UserEvent whose name is in `custom_events` [its channel, if any]; `extra`
  holds its custom fields. `UserEvent: dialplan2cti` attaches values to the call instead
  (see ctid.calls.userevents); every later event of the call carries them in `dialplan`.

Direction and origin belong to the call and every event carries the current ones:
`direction` is `incoming` once the call entered an incoming context, `outgoing` once it entered
an outgoing one (whichever came first), else `internal`. `origin` is `did` (entered an incoming
context), else `outcall` (entered an outgoing one), else `queue` (joined a queue), else
`internal`. `contexts` is every context the call's channels have been in: its tenant scope.

State is bounded: a call is released with its last channel, bridges when empty, queue callers
with their channel; `max_calls` drops the oldest call past the limit. After an AMI reconnect,
`begin_resync()` then `end_resync(CoreShowChannel items)` closes the channels Asterisk no longer
has (as if they hung up, no cause) and adopts unknown ones silently.
"""

from ctid.calls.channels import CallInfo, ChannelInfo
from ctid.calls.model import CallModel
from ctid.calls.phones import ExtensionInfo, PhonesInfo
from ctid.calls.queues import AgentInfo, MemberInfo, QueueInfo

__all__ = [
    "AgentInfo",
    "CallInfo",
    "CallModel",
    "ChannelInfo",
    "ExtensionInfo",
    "MemberInfo",
    "PhonesInfo",
    "QueueInfo",
]
