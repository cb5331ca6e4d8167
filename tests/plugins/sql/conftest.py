"""Fixtures of the SQL directory tests: a throwaway PostgreSQL for the session, and a contacts
table with hostile names on SQLite and on PostgreSQL alike."""

import pathlib
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ctid.testing.postgres import Postgres

CONTACTS = [
    {"first": "Zoé", "last": "Martin", "phone": "+33 6 12 34 56 78", "e164": "+33612345678"},
    {"first": "Jean", "last": "Dupont", "phone": "01.40.00.12.34", "e164": "+33140001234"},
    {"first": "Seán", "last": "O'Brien", "phone": "(01) 45 67 89 00", "e164": "+33145678900"},
    {"first": "Bio", "last": "100% Bio", "phone": "", "e164": None},
    {"first": "Under", "last": "under_score", "phone": None, "e164": None},
    {"first": "Back", "last": "back\\slash", "phone": "0033 7 00 00 00 01", "e164": "+33700000001"},
    {"first": "Plain", "last": "underscore 100 percent", "phone": "0800", "e164": None},
]


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    Postgres.skip_if_missing()
    server = Postgres()
    try:
        yield server.start()
    finally:
        server.close()


def create_contacts(url: str) -> str:
    """A fresh contacts table (a new name each time), filled; its name."""
    name = f"contacts_{uuid.uuid4().hex[:8]}"
    metadata = sa.MetaData()
    table = sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(column, sa.String(100)) for column in ("first", "last", "phone", "e164")],
    )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        metadata.create_all(connection)
        connection.execute(table.insert(), CONTACTS)
    engine.dispose()
    return name


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> tuple[str, str]:
    """(url, table) on each database in turn."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    else:
        url = request.getfixturevalue("postgres").url
    return url, create_contacts(url)
