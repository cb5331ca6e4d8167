"""Checks that span sections: references between users and profiles, duplicate logins and ids,
and between directories, contexts and reverse lookups."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ctid.config.directories import directory_problems
from ctid.config.problems import ConfigProblem
from ctid.sheets import config as sheets

Origin = Callable[[tuple[str, ...]], str]


def cross_check(data: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    """Every cross-reference problem of a config that passed the core schema."""
    return (
        _tls(data["listen"], origin)
        + _profiles(data["profiles"], origin)
        + _users(data["users"], data["profiles"], origin)
        + sheets.cross_check(data, origin)
        + directory_problems(data, origin)
    )


def cross_warnings(data: Mapping[str, Any], origin: Origin) -> list[str]:
    """What a valid config probably does not mean: printed by check-config, logged at start
    and reload."""
    return sheets.tenant_warnings(data, origin)


def _problem(origin: Origin, path: tuple[str, ...], expected: str, found: str) -> ConfigProblem:
    return ConfigProblem(origin(path), path, expected, found)


def _tls(listen: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    """An enabled TLS listener, and STARTTLS on the clear CTI port, need a certificate and key."""
    needs = []
    if listen["ctis"]["enabled"]:
        needs.append(("ctis", "ctis is enabled"))
    if listen["cti"]["enabled"] and listen["cti"]["starttls"] != "off":
        needs.append(("cti", f"cti has starttls: {listen['cti']['starttls']}"))
    return [
        _problem(origin, ("listen", name, key), f"a PEM file path ({why})", "nothing")
        for name, why in needs
        for key in ("certfile", "keyfile")
        if not listen[name][key]
    ]


def _profiles(profiles: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    problems = []
    for name, profile in profiles.items():
        states = profile["presence"]
        if profile["presence_default"] not in states:
            path = ("profiles", name, "presence_default")
            problems.append(
                _problem(
                    origin,
                    path,
                    f"one of {', '.join(sorted(states))}",
                    repr(profile["presence_default"]),
                )
            )
        for state, options in states.items():
            for target in options["allowed"] or []:
                if target not in states:
                    where = ("profiles", name, "presence", state, "allowed")
                    problems.append(
                        _problem(origin, where, "states defined in presence", repr(target))
                    )
    return problems


def _users(users: list[Any], profiles: Mapping[str, Any], origin: Origin) -> list[ConfigProblem]:
    problems = []
    seen: dict[str, dict[str, int]] = {"login": {}, "id": {}}
    for index, user in enumerate(users):
        base = ("users", str(index))
        if user["profile"] not in profiles:
            problems.append(
                _problem(
                    origin,
                    (*base, "profile"),
                    f"a profile defined under profiles: ({', '.join(sorted(profiles))})",
                    repr(user["profile"]),
                )
            )
        for key in ("login", "id"):
            value = user.get(key, user["login"])
            if value in seen[key]:
                problems.append(
                    _problem(
                        origin,
                        (*base, key),
                        f"{'an' if key == 'id' else 'a'} {key} unique among users "
                        f"(users -> {seen[key][value]} has it)",
                        repr(value),
                    )
                )
            seen[key].setdefault(value, index)
    return problems
