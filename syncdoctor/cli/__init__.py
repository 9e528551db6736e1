"""The ``syncdoctor`` command line."""

from syncdoctor.cli.app import app, main

__all__ = ["app", "main"]
