"""`ipbxcommand`: call control. Each command becomes exactly one AMI action, built here.

The caller's identity and tenant come from the session (ctid_cti.targets); the action runs off
the reader greenlet (ctid_cti.actions) and its outcome comes back as
`{"class": "ipbxcommand", "command": …, "status": "ok"|"ko", "message": …, "replyid": …}`.
A refusal before any action is sent has the same shape, with a code as message (`unallowed`,
`baddestination`, `nosuchchannel`, `noline`, `busy`…). The exact actions are in docs/cti.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ctid.api import CtiCommandError, CtiSession, Line, User
from ctid_cti.actions import Action, Runner, outcome
from ctid_cti.targets import Targets, display

Builder = Callable[[CtiSession, Mapping[str, Any]], Action]


class IpbxCommands:
    """Builds the AMI action of each ipbxcommand and runs it for the session."""

    def __init__(
        self, targets: Targets, runner: Runner, options: Callable[[], Mapping[str, Any]]
    ) -> None:
        self.targets = targets
        self.runner = runner
        self._options = options
        self.builders: dict[str, Builder] = {
            "dial": self.dial,
            "originate": self.originate,
            "hangup": self.hangup,
            "transfer": self.transfer,
            "atxfer": self.atxfer,
            "agentlogin": self.agentlogin,
            "agentlogout": self.agentlogout,
            "queueadd": self.queueadd,
            "queueremove": self.queueremove,
            "queuepause": lambda session, message: self.queuepause(session, message, True),
            "queueunpause": lambda session, message: self.queuepause(session, message, False),
        }

    def __call__(self, session: CtiSession, message: Mapping[str, Any]) -> None:
        """The `ipbxcommand` class."""
        command = message.get("command")
        if not isinstance(command, str):
            raise CtiCommandError("missing:command")

        def answer(ok: bool, text: str) -> None:
            session.reply(message, command=command, status="ok" if ok else "ko", message=text)

        if command not in session.profile.get("ipbxcommands", ()):
            answer(False, "unallowed")
            return
        builder = self.builders.get(command)
        if builder is None:
            answer(False, "unknown_command")
            return
        try:
            action = builder(session, message)
        except CtiCommandError as refused:
            answer(False, refused.code)
            return
        ipbx = self.targets.ctid.ipbx
        if not self.runner.start(session, lambda: answer(*outcome(ipbx, action))):
            answer(False, "busy")

    # --- timing -------------------------------------------------------------------------------

    def _timeout(self, rings: bool = False) -> float:
        options = self._options()
        return float(options["action_timeout"]) + (float(options["ring_timeout"]) if rings else 0)

    def _ring_ms(self) -> str:
        return str(int(float(self._options()["ring_timeout"]) * 1000))

    # --- calls --------------------------------------------------------------------------------

    def dial(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Ring the caller's first line, then dial `destination` from its context."""
        me = self.targets.me(session)
        return self._originate(me, self.targets.first_line(me), session, message, "dial")

    def originate(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """acts_for_others: ring `source` (a user or phone of the tenant), then `destination`."""
        if not self.targets.others_allowed(session):
            raise CtiCommandError("unallowed")
        line, _ = self.targets.line(session, message.get("source"))
        me = self.targets.me(session)
        return self._originate(me, line, session, message, "originate")

    def _originate(
        self, me: User, line: Line, session: CtiSession, message: Mapping[str, Any], why: str
    ) -> Action:
        if "destination" not in message:
            raise CtiCommandError("missing:destination")
        number, name = self.targets.destination(session, message["destination"])
        fields: dict[str, Any] = {
            "Channel": line.interface,
            "Context": line.context,
            "Exten": number,
            "Priority": "1",
            "Timeout": self._ring_ms(),
            "CallerID": f'"{name}" <{number}>',
            "Async": "true",
            "Variable": [
                f"XIVO_ORIGAPPLI={why}",
                f"XIVO_USERID={me.id}",
                f"XIVO_ORIGSRCNUM={line.number}",
            ],
        }
        return Action("Originate", fields, self._timeout(rings=True))

    def hangup(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Hang up one channel (`channelids`): the caller's own, or acts_for_others its tenant's."""
        reference = message.get("channelids", message.get("channel"))
        if reference is None:
            raise CtiCommandError("missing:channelids")
        channel = self.targets.channel(session, reference)
        return Action("Hangup", {"Channel": channel.name}, self._timeout())

    def transfer(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Blind transfer: send the party talking to `source` to `destination`."""
        channel, number, context = self._transfer_parts(session, message)
        peer = self.targets.peer(channel)
        fields = {"Channel": peer.name, "Context": context, "Exten": number, "Priority": "1"}
        return Action("Redirect", dict(fields), self._timeout())

    def atxfer(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Attended transfer: `source` consults `destination` (features.conf atxfer)."""
        channel, number, context = self._transfer_parts(session, message)
        fields = {"Channel": channel.name, "Exten": number, "Context": context}
        return Action("Atxfer", dict(fields), self._timeout())

    def _transfer_parts(
        self, session: CtiSession, message: Mapping[str, Any]
    ) -> tuple[Any, str, str]:
        for key in ("source", "destination"):
            if key not in message:
                raise CtiCommandError(f"missing:{key}")
        channel = self.targets.channel(session, message["source"])
        number, _ = self.targets.destination(session, message["destination"])
        owner = self.targets.ctid.users.by_interface(channel.interface)
        line = self.targets.first_line(owner if owner is not None else self.targets.me(session))
        return channel, number, line.context

    # --- agents and queues --------------------------------------------------------------------

    def agentlogin(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Ring the agent's phone; answered, it runs AgentLogin(<agent>) (app_agent_pool)."""
        agent, user = self.targets.agent(session, message.get("member"))
        line = self.targets.first_line(user)
        fields: dict[str, Any] = {
            "Channel": line.interface,
            "Application": "AgentLogin",
            "Data": agent,
            "Timeout": self._ring_ms(),
            "CallerID": f'"Agent {agent}" <{agent}>',
            "Async": "true",
            "Variable": [
                "XIVO_ORIGAPPLI=agentlogin",
                f"XIVO_USERID={self.targets.me(session).id}",
            ],
        }
        return Action("Originate", fields, self._timeout(rings=True))

    def agentlogout(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Log the agent off (its holding channel is hung up)."""
        agent, _ = self.targets.agent(session, message.get("member"))
        return Action("AgentLogoff", {"Agent": agent}, self._timeout())

    def _member(self, session: CtiSession, value: Any) -> tuple[str, str, str]:
        """(Interface, StateInterface, MemberName): an agent, or a phone line."""
        me = self.targets.me(session)
        use_phone = isinstance(value, str) and value.startswith("phone:")
        if use_phone or (value in (None, "") and not me.agent):
            line, user = self.targets.line(session, value or "user:special:me")
            return line.interface, "", display(user.fullname)
        agent, user = self.targets.agent(session, value)
        options = self._options()
        return (
            options["agent_interface"].format(agent=agent),
            options["agent_state_interface"].format(agent=agent),
            display(user.fullname) or f"Agent {agent}",
        )

    def _queue(self, session: CtiSession, message: Mapping[str, Any]) -> str:
        if "queue" not in message:
            raise CtiCommandError("missing:queue")
        return self.targets.queue(session, message["queue"])

    def queueadd(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Add a member (default: the caller's agent, else its line) to a queue."""
        queue = self._queue(session, message)
        interface, state, name = self._member(session, message.get("member"))
        paused = str(message.get("paused", False)).lower() in ("true", "1", "yes")
        fields = {"Queue": queue, "Interface": interface, "Paused": str(paused).lower()}
        fields.update({"MemberName": name} if name else {})
        fields.update({"StateInterface": state} if state else {})
        return Action("QueueAdd", dict(fields), self._timeout())

    def queueremove(self, session: CtiSession, message: Mapping[str, Any]) -> Action:
        """Remove a dynamic member from a queue."""
        queue = self._queue(session, message)
        interface, _, _ = self._member(session, message.get("member"))
        return Action("QueueRemove", {"Queue": queue, "Interface": interface}, self._timeout())

    def queuepause(self, session: CtiSession, message: Mapping[str, Any], paused: bool) -> Action:
        """Pause or unpause a member in one queue, or in all (`queue` absent or `…/all`)."""
        interface, _, _ = self._member(session, message.get("member"))
        fields = {"Interface": interface, "Paused": "true" if paused else "false"}
        queue = message.get("queue")
        if queue not in (None, "") and not str(queue).endswith("/all"):
            fields["Queue"] = self.targets.queue(session, queue)
        return Action("QueuePause", dict(fields), self._timeout())
