"""The exec handler: anything that is not a URL runs as a process.

The command line is split into arguments first, then each argument is filled (ctid.api
`render_argv`), and the process starts without a shell, with no input and its output
discarded: a caller name such as `x; touch /tmp/pwned $(id)` is one literal argument. It is
killed when it outlives the action's timeout. It runs only when the action allows it
(`allow_exec: true`, set per server action by the operator).
"""

from __future__ import annotations

import subprocess

import gevent.subprocess

from ctid.api import UrlautoError, UrlautoRequest, render_argv


def run(request: UrlautoRequest) -> None:
    """Run the command, wait for it within the timeout, kill it past that."""
    if not request.allow_exec:
        raise UrlautoError("running a command is not allowed for this action (allow_exec)")
    argv = render_argv(request)
    if not argv:
        return
    try:
        process = gevent.subprocess.Popen(
            argv,
            shell=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            start_new_session=True,
        )
    except OSError as exc:
        raise UrlautoError(f"cannot start {argv[0]}: {exc}") from None
    try:
        code = process.wait(timeout=request.timeout)
    except gevent.subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise UrlautoError(f"{argv[0]} killed after {request.timeout:g} s") from None
    if code != 0:
        raise UrlautoError(f"{argv[0]} exited with status {code}")
