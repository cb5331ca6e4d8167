"""The `ctid` command: run, check-config, dump-config, list-plugins, hash-password, hooks-doc,
demo."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import pathlib
import sys
from collections.abc import Callable, Sequence

from ctid import __version__, logs, passwords, plugins
from ctid.config import EXIT_CONFIG, ConfigError, RawConfig, config_directory, read_directory
from ctid.config.dump import dump
from ctid.config.validators import is_secret
from ctid.daemon import Daemon, StartError, load
from ctid.hookdoc import render

log = logging.getLogger("ctid")

EXIT_OK = 0
EXIT_FAILURE = 1


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    return int(args.command(args))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ctid", description="CTI server for Asterisk")
    parser.add_argument("--version", action="version", version=f"ctid {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, function: object, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(command=function)
        return sub

    def with_config(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "-c",
            "--config-dir",
            help="config.d directory (default: $CTID_CONFIG_DIR, then /etc/ctid/config.d)",
        )

    run = command("run", _run, "run the daemon until SIGTERM (SIGHUP reloads the config)")
    with_config(run)
    run.add_argument(
        "--foreground",
        action="store_true",
        help="log to stderr too when logging.file is set (ctid never forks)",
    )
    run.add_argument("--pidfile", help="write the pid here (overrides the config's pidfile)")
    with_config(command("check-config", _check, "validate the configuration and exit"))
    with_config(command("dump-config", _dump, "print the effective configuration"))
    with_config(command("list-plugins", _list, "show discovered plugins and their state"))
    hashing = command("hash-password", _hash, "print a password hash for users: entries")
    hashing.add_argument("--stdin", action="store_true", help="read the password from stdin")
    command("hooks-doc", _hooks_doc, "print the hooks reference (docs/hooks.md)")
    _demo_options(command("demo", _demo, "a demo on this machine: ctid, a simulated PBX, a client"))
    return parser


def _demo_options(demo: argparse.ArgumentParser) -> None:
    demo.add_argument("--calls", type=_count, help="stop after N calls (default: until Ctrl-C)")
    demo.add_argument("--json", action="store_true", help="the client prints JSON lines")
    demo.add_argument(
        "--no-client", action="store_true", help="no built-in client: connect your own"
    )
    demo.add_argument(
        "--cti-port", type=int, help="CTI port on 127.0.0.1 (default: 5003 if free; 0: any)"
    )
    demo.add_argument("--speed", type=float, default=1.0, help="play the calls N times faster")


def _count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("expected a number of calls of 1 or more")
    return number


def _reader(args: argparse.Namespace) -> tuple[pathlib.Path, Callable[[], RawConfig]]:
    directory = config_directory(args.config_dir)
    return directory, lambda: read_directory(directory)


def _report(error: ConfigError) -> int:
    for problem in error.problems:
        print(problem, file=sys.stderr)
    print(f"{len(error.problems)} configuration problem(s); nothing started", file=sys.stderr)
    return EXIT_CONFIG


def _print_warnings(raw: RawConfig) -> None:
    for warning in raw.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    directory, reader = _reader(args)
    raw = reader()
    try:
        loaded = load(lambda: raw)  # adds the warnings of the cross-section checks
        Daemon(loaded, reader).check()  # hook names, signatures, registration conflicts
    except ConfigError as error:
        return _report(error)
    except (plugins.PluginError, StartError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    finally:
        _print_warnings(raw)  # whether or not the config is valid
    print(f"{directory}: valid; plugins enabled: {', '.join(loaded.config.plugin_names) or 'none'}")
    return EXIT_OK


def _dump(args: argparse.Namespace) -> int:
    _directory, reader = _reader(args)
    try:
        loaded = load(reader)
    except ConfigError as error:
        return _report(error)
    sys.stdout.write(dump(loaded.config))
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    _directory, reader = _reader(args)
    records = {
        name: plugins.PluginRecord(name=name, source=entry.value, discovered=True)
        for name, entry in plugins.discover().items()
    }
    status = EXIT_OK
    try:
        records.update(load(reader).records)
    except ConfigError as error:
        status = EXIT_CONFIG
        records.update(error.plugin_records)
        for problem in error.problems:
            if problem.path[:1] != ("plugins",) or len(problem.path) < 2:
                continue
            record = records.setdefault(problem.path[1], plugins.PluginRecord(problem.path[1]))
            where = " -> ".join(problem.path[2:])
            found = f", got {problem.found}" if problem.found else ""
            text = f"{where + ': ' if where else ''}{problem.expected}{found}"
            record.error = f"{record.error}; {text}" if record.error else text
    print(f"{'plugin':<16} {'discovered':<10} {'enabled':<7} {'loaded':<6} source / problem")
    for name, record in sorted(records.items()):
        detail = record.error or record.source
        print(
            f"{name:<16} {_yes(record.discovered):<10} {_yes(record.enabled):<7} "
            f"{_yes(record.loaded or (record.enabled and not record.error)):<6} {detail}"
        )
    return status


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _hash(args: argparse.Namespace) -> int:
    if args.stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("the two passwords differ", file=sys.stderr)
            return EXIT_FAILURE
    if not password:
        print("an empty password is refused", file=sys.stderr)
        return EXIT_FAILURE
    print(passwords.hash_password(password))
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    # Imported here: the demo brings the client and the fake Asterisk, which `run` never needs.
    from ctid.demo.run import DemoOptions, run  # noqa: PLC0415  (see above)

    if args.speed <= 0:
        print("--speed must be above 0", file=sys.stderr)
        return EXIT_FAILURE
    options = DemoOptions(
        calls=args.calls,
        json=args.json,
        client=not args.no_client,
        cti_port=args.cti_port,
        speed=args.speed,
    )
    return run(options)


def _hooks_doc(_args: argparse.Namespace) -> int:
    sys.stdout.write(render())
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    directory, reader = _reader(args)
    try:
        loaded = load(reader)
    except ConfigError as error:
        return _report(error)
    data = loaded.config.data
    logs.configure(
        data["logging"], foreground=args.foreground, secrets=logs.secret_values(data, is_secret)
    )
    log.info("ctid %s starting with %s", __version__, directory)
    pidfile = pathlib.Path(args.pidfile or data["pidfile"] or "")
    written = False
    try:
        if pidfile.name:
            _write_pidfile(pidfile)
            written = True
        Daemon(loaded, reader).serve()
    except (StartError, plugins.PluginError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return EXIT_FAILURE
    finally:
        if written:
            pidfile.unlink(missing_ok=True)
    return EXIT_OK


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True  # another user's live process
    except OSError:
        return False
    return True


def _write_pidfile(path: pathlib.Path) -> None:
    """Write our pid atomically; refuse when the file names a live process."""
    try:
        other = int(path.read_text().strip())
    except (OSError, ValueError):
        other = 0  # no file or garbage: ours to replace
    if other > 0 and other != os.getpid() and _alive(other):
        raise OSError(f"{path} names running process {other}; is ctid already running?")
    temporary = path.with_suffix(".tmp")
    temporary.write_text(f"{os.getpid()}\n")
    temporary.replace(path)
