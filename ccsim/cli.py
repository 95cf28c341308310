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


@cli.command()
@click.argument("scenario", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def validate(scenario: str, as_json: bool) -> None:
    """Check a scenario file; print "ok" and a summary, or every problem (exit 2)."""
    import json

    from ccsim.scenario import ScenarioError, load_scenario

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise InputError("\nError: ".join(exc.problems)) from None
    if as_json:
        click.echo(json.dumps({"ok": True, **loaded.summary()}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"ok: {scenario}")
        click.echo(loaded.describe())


def main() -> None:
    """Console-script entry point."""
    cli()
