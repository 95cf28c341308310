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


def _sweep_progress():
    """A ``progress(done, total)`` callback drawing a click progress bar on stderr."""
    import time

    state: dict = {"bar": None, "done": 0, "start": time.monotonic()}

    def elapsed(_item) -> str:
        seconds = int(time.monotonic() - state["start"])
        return f"{seconds // 60}:{seconds % 60:02d} elapsed"

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(
                length=total,
                label="points",
                show_pos=True,
                show_eta=True,
                item_show_func=elapsed,
                file=click.get_text_stream("stderr"),
            )
            state["bar"].__enter__()
        state["bar"].update(done - state["done"], current_item=done)
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return progress


@cli.command("sweep")
@click.argument("scenario", type=click.Path(path_type=str))
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUES",
    help="A swept path and its values: 160s,180s | 12..18 | 0.7..0.9/0.05 (repeatable).",
)
@click.option(
    "--grid",
    "grid_file",
    type=click.Path(path_type=str),
    help='A TOML grid file: [grid] "channels.voice.aht" = ["160s", "180s"].',
)
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Simulated replications per point.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Base seed (default: the scenario's); each point's seed derives from it.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes or local Dask workers (default: all cores; 1: no pool).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Directory of the resumable store; rerun the same command to resume.",
)
@click.option(
    "--executor",
    type=click.Choice(["processes", "dask"]),
    default="processes",
    show_default=True,
    help="Run points in a process pool or on Dask.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="An existing Dask scheduler, e.g. tcp://host:8786 (implies --executor dask).",
)
@click.option("--plot", is_flag=True, help="Draw service-level trade-off curves to DIR/sweep.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def sweep_command(
    scenario, sets, grid_file, replications, seed, jobs, out_dir, executor, scheduler, plot, as_json
) -> None:
    """Simulate every point of a grid of scenario variants, on all cores or Dask.

    The grid is the product of the --set options (and --grid file). Every point
    is validated before anything runs. Finished points are kept in --out DIR as
    they finish: after Ctrl-C or a crash, rerun the same command to resume.
    DIR/results.csv has one row per point and channel.
    """
    import json
    import sys

    from ccsim.results import to_jsonable
    from ccsim.scenario import ScenarioError
    from ccsim.sweep import (
        PointError,
        SweepError,
        SweepInterrupted,
        plan_sweep,
        read_grid_file,
        run_sweep,
        summary_text,
    )

    if scheduler is not None:
        executor = "dask"
    try:
        axes = read_grid_file(grid_file) if grid_file else []
        axes += list(sets)
        if not axes:
            raise SweepError("nothing to sweep: give --set KEY=VALUES or --grid FILE")
        plan = plan_sweep(scenario, axes, replications=replications, seed=seed)
        table, counts = run_sweep(
            plan,
            jobs=jobs,
            executor=executor,
            scheduler=scheduler,
            out=out_dir,
            progress=_sweep_progress() if sys.stderr.isatty() and not as_json else None,
        )
    except ScenarioError as exc:
        raise InputError("\n".join(exc.problems)) from None
    except SweepError as exc:
        raise InputError(str(exc)) from None
    except PointError as exc:
        raise click.ClickException(f"{exc}\nfinished points are kept in {out_dir}") from None
    except SweepInterrupted as exc:
        click.echo(f"\n{exc}; run the same command again to resume", err=True)
        sys.exit(130)
    if plot:
        from ccsim.sweep_plots import plot_sweep

        targets = {name: ch.service_level for name, ch in plan.scenario.channels.items()}
        plot_sweep(
            table,
            [a.key for a in plan.axes],
            f"{out_dir}/sweep.png",
            targets=targets,
            title=plan.scenario.name,
        )
    if as_json:
        click.echo(
            json.dumps(
                to_jsonable({**counts, "out": out_dir, "results": table}),
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        click.echo(summary_text(table, [a.key for a in plan.axes]))
        done = (
            f"{counts['points']} points ({counts['computed']} computed, "
            f"{counts['skipped']} already done)"
        )
        click.echo(f"{done}; wrote {out_dir}/results.csv" + (", sweep.png" if plot else ""))


@cli.command("simulate")
@click.argument("scenario", type=click.Path(path_type=str))
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Independent simulated days (95% CIs need at least 2).",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the scenario's)."
)
@click.option(
    "--warmup",
    default="0",
    metavar="DURATION",
    help='Leave contacts arriving in the first DURATION out of the KPIs ("2h"; a number: s).',
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Directory for intervals.csv and summary.json (and figures, contacts.csv).",
)
@click.option("--plot", is_flag=True, help="Also draw simulation.png into --out.")
@click.option("--contacts", "with_contacts", is_flag=True, help="Also write contacts.csv.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate_command(
    scenario, replications, seed, warmup, out_dir, plot, with_contacts, as_json
) -> None:
    """Simulate a scenario: KPIs per channel and interval with 95% confidence intervals."""
    import json
    import sys

    from ccsim.durations import parse_duration
    from ccsim.scenario import ScenarioError, load_scenario
    from ccsim.sim import simulate

    try:
        loaded = load_scenario(scenario)
    except ScenarioError as exc:
        raise InputError("\n".join(exc.problems)) from None
    if (plot or with_contacts) and out_dir is None:
        raise InputError("--plot and --contacts need --out DIR to write into")
    try:
        warmup_s = parse_duration(warmup)
    except ValueError as exc:
        raise InputError(f"--warmup: {exc}") from None
    show = sys.stderr.isatty() and not as_json
    with click.progressbar(
        length=replications,
        label="replications",
        show_pos=True,
        file=click.get_text_stream("stderr"),
        hidden=not show,
    ) as bar:
        try:
            result = simulate(loaded, replications, seed, warmup=warmup_s, progress=bar.update)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    if out_dir is not None:
        result.write(out_dir, plot=plot, contacts=with_contacts)
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.describe())
        if out_dir is not None:
            extra = ", simulation.png" if plot else ""
            extra += ", contacts.csv" if with_contacts else ""
            click.echo(f"wrote {out_dir}/intervals.csv, summary.json{extra}")


def main() -> None:
    """Console-script entry point."""
    cli()
