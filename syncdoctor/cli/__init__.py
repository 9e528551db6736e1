"""The ``syncdoctor`` command line."""

import os

# Pydantic looks for plugins (its documented ``pydantic`` entry point group) when it builds its
# first model: a scan of every installed distribution's metadata, about 20 ms of a ``syncdoctor
# diagnose``, for plugins a command line has no use for. Its own documented switch turns the scan
# off, set before the commands' models are built; whoever set it already, even to nothing (which
# enables every plugin), keeps their setting.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from syncdoctor._gc import building_for_good

with building_for_good():  # the commands' modules and classes: built once, kept for good
    from syncdoctor.cli.app import app, main

__all__ = ["app", "main"]
