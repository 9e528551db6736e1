"""The package version.

Written here rather than read from the installed distribution's metadata, which cost every
``syncdoctor`` command about 7 ms (finding the distribution among all those installed).
pyproject.toml's ``version`` says the same: tests/test_version.py checks it.
"""

__version__ = "0.1.0"
