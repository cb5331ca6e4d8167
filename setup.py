"""Packaging for ctid: the one source of metadata, dependencies and entry points."""

import pathlib

from setuptools import find_packages, setup

BUNDLED_PLUGINS = {
    "ami": "AmiPlugin",
    "fagi": "FagiPlugin",
    "announce": "AnnouncePlugin",
    "cti": "CtiPlugin",
    "webi": "WebiPlugin",
    "info": "InfoPlugin",
    "ldap": "LdapPlugin",
    "xivovars": "XivoVarsPlugin",
    "dbvars": "DbVarsPlugin",
    "dpvars": "DpVarsPlugin",
    "urlauto": "UrlautoPlugin",
    "csv": "CsvPlugin",
    "sql": "SqlPlugin",
    "webusers": "WebUsersPlugin",
}

setup(
    name="ctid",
    version="0.1.0.dev0",
    description="CTI server for Asterisk: screen pops, call control and directories for agents",
    long_description=pathlib.Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="GPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["ctid", "ctid.*"])
    + find_packages(where="plugins", include=["ctid_*"]),
    package_dir={f"ctid_{name}": f"plugins/ctid_{name}" for name in BUNDLED_PLUGINS},
    package_data={
        "ctid": ["py.typed"],
        "ctid.demo": ["config.d/*.yml", "data/*.csv"],  # `ctid demo`'s site and phone book
        **{f"ctid_{n}": ["example.yml"] for n in BUNDLED_PLUGINS},
    },
    install_requires=[
        "gevent>=23.9",
        "ldap3>=2.9",
        "phonenumbers>=8.13",
        "pluggy>=1.3",
        "PyYAML>=6.0",
        "SQLAlchemy>=2.0",
        "stevedore>=5.1",
        "voluptuous>=0.13",
    ],
    extras_require={
        "postgres": ["psycopg[binary]>=3.1.14"],  # 3.1.14: cooperates with gevent
        "test": [
            "psycopg[binary]>=3.1.14",  # the SQL directory tests run on a real PostgreSQL
            "hypothesis>=6.90",
            "mypy>=1.8",
            "pytest>=7.4",
            "pytest-timeout>=2.2",
            "ruff>=0.4",
            "types-PyYAML",
            "wheel",  # the tests pip-install sample plugin packages without build isolation
        ],
        # atheris: bench/fuzz.py --atheris; py-spy: profiling the daemon under bench/load.py
        "bench": ["panoramisk==1.4", "atheris>=2.3", "py-spy>=0.3"],
    },
    entry_points={
        "console_scripts": [
            "ctid = ctid.__main__:run",
            "ctid-client = ctid.client.__main__:run",
        ],
        "ctid.plugins": [
            f"{name} = ctid_{name}.plugin:{cls}" for name, cls in BUNDLED_PLUGINS.items()
        ],
    },
    classifiers=[
        "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        "Programming Language :: Python :: 3.11",
        "Topic :: Communications :: Telephony",
    ],
)
