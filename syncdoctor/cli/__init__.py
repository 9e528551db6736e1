"""The ``syncdoctor`` command line."""

from syncdoctor._gc import building_for_good

with building_for_good():  # the commands' modules and classes: built once, kept for good
    from syncdoctor.cli.app import app, main

__all__ = ["app", "main"]
