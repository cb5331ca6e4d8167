"""A third-party ctid plugin, packaged on its own: it proves that an outside package adds a
config section and hook implementations through its entry point alone."""

from setuptools import setup

setup(
    name="ctid-sample",
    version="1.0",
    packages=["ctid_sample"],
    install_requires=[],  # ctid itself is already installed where this is used
    entry_points={"ctid.plugins": ["sample = ctid_sample.plugin:SamplePlugin"]},
)
