"""`python -m ctid` and the `ctid` console script: patch the stdlib for gevent, then run the CLI."""

from gevent import monkey

monkey.patch_all()


def run() -> int:
    """Entry point of the `ctid` console script (patching has happened at import)."""
    from ctid.cli import main  # noqa: PLC0415  (after patch_all, see architecture §7)

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
