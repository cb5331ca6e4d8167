"""The hooks reference (docs/hooks.md), generated from the hookspecs' docstrings."""

from __future__ import annotations

import inspect

from ctid import hookspecs

HEADER = """# Hooks reference

Generated from `ctid/hookspecs.py` by `ctid hooks-doc > docs/hooks.md`; a test fails when this page
is stale. Kinds: lifecycle, notification, query, registration, gather (see the module docstring).
Implementations take only the arguments they use: `@hookimpl def ctid_start(self, ctid): ...`.
"""


def render() -> str:
    """The whole reference page, in hookspec order."""
    parts = [HEADER]
    intro = inspect.getdoc(hookspecs) or ""
    parts.append(intro.split("\n\n", 1)[1] + "\n" if "\n\n" in intro else "")
    for name in hookspecs.hook_names():
        function = getattr(hookspecs, name)
        signature = inspect.signature(function)
        doc = inspect.getdoc(function) or ""
        parts.append(f"## `{name}`\n\n```python\n{name}{signature}\n```\n\n{_markdown(doc)}\n")
    return "\n".join(parts)


def _markdown(doc: str) -> str:
    lines = []
    for line in doc.splitlines():
        if line.startswith((":param", ":returns", "Kind:", "Called from:", "May block:", "Since:")):
            lines.append(f"- {line}")
        elif line.startswith("    ") and lines and lines[-1].startswith("- "):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"
