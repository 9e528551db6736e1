"""``python -m syncdoctor``: the same as the ``syncdoctor`` command."""

from syncdoctor.cli import main

main()
