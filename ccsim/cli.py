"""The ``ccsim`` command line: a thin click layer over the library functions.

Each command parses options (human units accepted: "20s", "30min", "80%"),
calls the same function a notebook would, and renders a table for people or
JSON for machines (``--json``). Bad input exits with code 2 and a one-line
message, never a traceback.
"""

from __future__ import annotations

import click

from ccsim import __version__


class InputError(click.ClickException):
    """Bad input from the user: printed as ``Error: …`` on stderr, exit code 2."""

    exit_code = 2


@click.group()
@click.version_option(__version__, prog_name="ccsim")
def cli() -> None:
    """ccsim: contact-center staffing per channel, sized by Erlang and proven by simulation."""


# --- commands are added below, one short function each -------------------------------------


def main() -> None:
    """Console-script entry point."""
    cli()
