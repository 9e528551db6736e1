"""``syncdoctor cache``: the compiled-KB cache on disk (see :mod:`syncdoctor.engine.kbcache`)."""

from __future__ import annotations

import typer

from syncdoctor.cli.examples import epilog

__all__ = ["cache_app"]

cache_app = typer.Typer(
    help="The compiled knowledge bases kept on disk so that commands start fast.",
    no_args_is_help=True,
)


@cache_app.command("clear", epilog=epilog("cache clear"))
def clear() -> None:
    """Remove every cached knowledge base; the next command rebuilds what it needs."""
    from syncdoctor.engine import kbcache

    folder, removed = kbcache.clear()
    typer.echo(f"removed {removed} cached knowledge base{'s' if removed != 1 else ''} "
               f"from {folder}")


@cache_app.command("path", epilog=epilog("cache path"))
def path() -> None:
    """Print the cache folder (SYNCDOCTOR_CACHE_DIR, else the user cache directory)."""
    from syncdoctor.engine import kbcache

    typer.echo(str(kbcache.cache_dir()))
