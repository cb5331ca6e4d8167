"""Deliberately broken ctid plugins: one cannot be imported, one raises in every hook."""

from setuptools import setup

setup(
    name="ctid-broken",
    version="1.0",
    packages=["ctid_broken"],
    entry_points={
        "ctid.plugins": [
            "broken_import = ctid_broken.unimportable:Plugin",
            "broken_runtime = ctid_broken.raising:RaisingPlugin",
        ]
    },
)
