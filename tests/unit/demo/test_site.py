"""The demo's site: its config.d validates like an operator's, its sheets are the shipped worked
example, its phone book names the callers its calls bring, and nothing secret is shown twice."""

import csv
import pathlib

import yaml

from ctid.daemon import load
from ctid.demo import calls
from ctid.demo.site import CONFIG_DIR, DIRECTORY, LOGIN, make_site
from ctid.directory.numbers import canonical
from ctid.passwords import verify_password

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_the_demo_config_validates_with_the_generated_layer() -> None:
    site = make_site(ami_port=15038, ami_secret="pbx-secret", cti_port=0)
    loaded = load(site.read)
    data = loaded.config.data
    assert data["ipbx"]["ami"]["port"] == 15038 and data["listen"]["cti"]["port"] == site.cti_port
    assert site.cti_port > 0  # 0 asked for any free port: one was picked
    assert data["listen"]["cti"]["address"] == "127.0.0.1"
    assert data["directories"]["phonebook"]["path"] == str(DIRECTORY)
    [demo] = [user for user in data["users"] if user["login"] == LOGIN]
    assert verify_password(site.password, demo["password"])
    assert site.password not in repr(site)
    assert {"ami", "cti", "xivovars", "dbvars", "dpvars", "csv"} <= set(loaded.objects)


def test_the_demo_pops_the_shipped_worked_sheets() -> None:
    shipped = yaml.safe_load((ROOT / "config.d" / "30-sheets.yml").read_text())
    demo = yaml.safe_load((CONFIG_DIR / "30-sheets.yml").read_text())
    assert demo == shipped


def test_the_phone_book_knows_the_outside_callers_in_other_formats() -> None:
    with DIRECTORY.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    numbers = {
        canonical(row[column], "FR"): row["lastname"]
        for row in rows
        for column in ("phone", "mobile")
        if row[column]
    }
    assert numbers[canonical(calls.DID_CALLER, "FR")] == "Durand"
    assert numbers[canonical(calls.QUEUE_CALLER, "FR")] == "Benali"
    stored = {row["mobile"] for row in rows} | {row["phone"] for row in rows}
    assert calls.DID_CALLER not in stored and calls.QUEUE_CALLER not in stored  # other formats
