"""The `ctid-client` command: options, the password, then one session until Ctrl-C or `quit`.

The password comes from the terminal (not echoed) or, with `--password-stdin`, from the first
line of standard input; never from the command line, where every user of the machine could read
it, and it is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import TextIO

import gevent
import gevent.event

from ctid import __version__
from ctid.client.actions import Actions
from ctid.client.commands import HELP
from ctid.client.connection import tls_context
from ctid.client.output import Output, silence_stdout
from ctid.client.prompt import LineReader
from ctid.client.session import EXIT_OK, ClientSession, Settings

log = logging.getLogger(__name__)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
STOP_GRACE = 2.0
"""Seconds a stopping session has to log out before it is cut."""


class UsageError(Exception):
    """The options or the input cannot work; the message says why."""


def main(
    argv: Sequence[str] | None = None, *, stdin_fd: int | None = None, stdout: TextIO | None = None
) -> int:
    """Run the client; returns the exit status (0 after Ctrl-C or `quit`)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    output = Output(stdout or sys.stdout, json_lines=args.json)
    reader = _stdin(stdin_fd) if args.password_stdin or not args.no_input else None
    try:
        password = _password(args, reader)
        settings = _settings(args)
    except UsageError as exc:
        print(f"ctid-client: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, EOFError):  # Ctrl-C or Ctrl-D at the password prompt
        print(file=sys.stderr)
        return EXIT_INTERRUPTED
    actions = None if args.no_actions else Actions(output, allow_exec=args.allow_exec)
    session = ClientSession(settings, password, output, actions)
    typing = None if args.no_input else reader
    if typing is not None and os.isatty(typing.fd):
        output.record("note", f"type a command ({HELP})", text=HELP)
    status = serve(session, typing)
    if output.closed.is_set() and stdout is None:
        silence_stdout()
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctid-client",
        description="Reference CTI client: log in to ctid, show sheets, calls and presence, "
        "run commands typed at the prompt",
    )
    parser.add_argument("--version", action="version", version=f"ctid-client {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="ctid's address (127.0.0.1)")
    parser.add_argument("--port", type=int, help="CTI port (5003; 5013 with --tls)")
    secure = parser.add_mutually_exclusive_group()
    secure.add_argument("--tls", action="store_true", help="TLS from the first byte (CTIs)")
    secure.add_argument("--starttls", action="store_true", help="upgrade the CTI port to TLS")
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--cafile", help="CA certificates to verify the server with (PEM)")
    trust.add_argument(
        "--insecure", action="store_true", help="do not verify the server's certificate (tests)"
    )
    parser.add_argument("--login", required=True, help="CTI login")
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin (else it is asked for)",
    )
    parser.add_argument("--state", default="available", help="presence at login (available)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--no-input", action="store_true", help="read no commands, just print")
    parser.add_argument(
        "--allow-exec", action="store_true", help="let sheets' urlauto actions run commands"
    )
    parser.add_argument("--no-actions", action="store_true", help="run no urlauto action")
    parser.add_argument(
        "--keepalive", type=float, default=60.0, help="seconds between keepalives (60)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logs on stderr")
    return parser


def _stdin(fd: int | None) -> LineReader | None:
    try:
        return LineReader(sys.stdin.fileno() if fd is None else fd)
    except (AttributeError, OSError, ValueError):  # no stdin at all (closed, or None)
        return None


def _password(args: argparse.Namespace, reader: LineReader | None) -> str:
    if args.password_stdin:
        password = reader.readline() if reader is not None else None
        if password is None:
            raise UsageError("--password-stdin: standard input ended before a password")
    elif not _has_terminal():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    else:
        password = getpass.getpass(f"password for {args.login}: ")
    if not password:
        raise UsageError("an empty password was given")
    return password


def _has_terminal() -> bool:
    try:
        os.close(os.open("/dev/tty", os.O_RDWR))
    except OSError:
        return False
    return True


def _settings(args: argparse.Namespace) -> Settings:
    try:
        tls = tls_context(args.cafile, args.insecure) if args.tls or args.starttls else None
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot use --cafile {args.cafile}: {exc}") from None
    if args.insecure and tls is not None:
        log.warning("--insecure: the server's certificate is not checked (test servers only)")
    return Settings(
        host=args.host,
        port=args.port or (5013 if args.tls else 5003),
        login=args.login,
        tls=tls,
        starttls=args.starttls,
        state=args.state,
        keepalive=args.keepalive,
    )


def serve(session: ClientSession, reader: LineReader | None) -> int:
    """Run the session (and the command reader) until it ends or SIGINT/SIGTERM stop it."""
    runner = gevent.spawn(session.run)
    typing = gevent.spawn(_read_commands, session, reader) if reader is not None else None
    handlers = [gevent.signal_handler(sig, session.stop) for sig in (signal.SIGINT, signal.SIGTERM)]
    try:
        # Nobody reads us any more (`| head`): stop as for Ctrl-C.
        session.output.closed.rawlink(lambda _closed: gevent.spawn(session.stop))
        gevent.wait([runner, session.stopping], count=1)
        runner.join(STOP_GRACE)
        if not runner.ready():
            runner.kill(block=True, timeout=STOP_GRACE)
            return EXIT_OK
        return int(runner.get())
    finally:
        for handler in handlers:
            handler.cancel()
        if typing is not None:
            typing.kill(block=False)
        if session.actions is not None:
            session.actions.stop()


def _read_commands(session: ClientSession, reader: LineReader) -> None:
    """Each line is a command; the end of input means `quit`, once earlier commands are
    answered (a script piping `dial 1002` wants its result)."""
    while True:
        line = reader.readline()
        if line is None:
            session.drain()
            session.stop()
            return
        session.type(line)
