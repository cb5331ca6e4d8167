"""`python -m ctid.client` and the `ctid-client` console script: patch for gevent, then run."""

from gevent import monkey

monkey.patch_all()


def run() -> int:
    """Entry point of the `ctid-client` console script (patching has happened at import)."""
    from ctid.client.cli import main  # noqa: PLC0415  (after patch_all, see architecture §7)

    return main()


if __name__ == "__main__":
    raise SystemExit(run())
