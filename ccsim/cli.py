"""The ``ccsim`` command line: a thin click layer over the library functions.

Each command parses options (human units accepted: "20s", "30min", "80%"),
calls the same function a notebook would, and renders a table for people or
JSON for machines (``--json``). Bad input exits with code 2 and a one-line
message, never a traceback.
"""

from __future__ import annotations

try:  # Ctrl-C while the command line loads: one line and exit 130, as in a command
    import click

    from ccsim import __version__
except KeyboardInterrupt:
    import sys

    sys.stderr.write("\ninterrupted: nothing was written\n")
    raise SystemExit(130) from None

_SEED = click.IntRange(min=0, max=2**63 - 1)  # seeds are stored as 64-bit integers
_INTERRUPTED = "\ninterrupted: files already written are whole; the rest were not written"


class InputError(click.ClickException):
    """Bad input from the user: printed as ``Error: …`` on stderr, exit code 2."""

    exit_code = 2


class _Commands(click.Group):
    """The command group: Ctrl-C ends any command with exit code 130 and one line."""

    def make_context(self, *args, **kwargs) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt:  # while the arguments are read
            click.echo(_INTERRUPTED, err=True)
            raise click.exceptions.Exit(130) from None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo(_INTERRUPTED, err=True)
            ctx.exit(130)


@click.group(cls=_Commands)
@click.version_option(__version__, prog_name="ccsim")
def cli() -> None:
    """ccsim: contact-center staffing per channel, sized by Erlang and proven by simulation."""


# --- commands are added below, one short function each -------------------------------------


def _share_option(
    name: str, text: str | None, *, upper: bool = False, zero: bool = False
) -> float | None:
    """Parse a share option ("80%" or 0.8) in (0, 1) — 1 allowed with ``upper``, 0 with
    ``zero``; InputError naming the option if bad or out of range."""
    if text is None:
        return None
    from ccsim.durations import parse_share

    try:
        share = parse_share(text)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    if not (0 < share < 1 or (upper and share == 1) or (zero and share == 0)):
        low, high = "[0" if zero else "(0", "1]" if upper else "1)"
        raise InputError(f"{name} must be a share in {low}, {high}, got {text}")
    return share


def _duration_option(name: str, text: str | None, *, positive: bool = False) -> float | None:
    """Parse a duration option ("20s", "30min"; a number is seconds); InputError naming it."""
    if text is None:
        return None
    from ccsim.durations import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    if positive and seconds <= 0:
        raise InputError(f"{name} must be > 0, got {text}")
    return seconds


def _erlang_rows(traffic, aht, agents, within, patience, shrinkage):
    """Measures at ``agents`` (arrays): a list of dicts with the ``ccsim erlang --json`` keys."""
    import numpy as np

    from ccsim import erlang

    traffic, aht, agents = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (traffic, aht, agents))
    )
    t = 0.0 if within is None else within
    if patience is None:
        cols = {
            "service_level": erlang.service_level(traffic, agents, aht, t),
            "asa": erlang.asa(traffic, agents, aht),
            "occupancy": erlang.occupancy(traffic, agents),
            "p_wait": erlang.erlang_c(traffic, agents),
        }
    else:
        res = erlang.erlang_a(traffic / aht, aht, patience, agents, t)
        cols = {
            "service_level": res.service_level,
            "asa": res.asa,
            "occupancy": res.occupancy,
            "p_wait": res.p_wait,
            "p_abandon": res.p_abandon,
        }
    fte = erlang.fte(agents, shrinkage)
    rows = []
    for i in range(agents.size):
        row = {"agents": int(agents.flat[i]), "fte": float(fte.flat[i])}
        for key, col in cols.items():
            value = float(col.flat[i])
            row[key] = None if value == float("inf") else value
        if within is None:
            row["service_level"] = None
        rows.append(row)
    return rows


def _erlang_table(rows, mark: int | None = None) -> str:
    """Render measure rows as a fixed-width table; the row with ``agents == mark`` is flagged."""
    from ccsim.durations import format_share
    from ccsim.results import text_table

    with_ab = "p_abandon" in rows[0]
    heads = ["agents", "FTE", "service level", "ASA", "occupancy", "P(wait)"]
    table = [heads + (["P(abandon)"] if with_ab else []) + [""]]
    for row in rows:
        level = row["service_level"]
        cells = [
            str(row["agents"]),
            f"{row['fte']:.1f}",
            "—" if level is None else format_share(level),
            "inf" if row["asa"] is None else f"{row['asa']:.1f}s",
            format_share(row["occupancy"]),
            format_share(row["p_wait"]),
        ]
        if with_ab:
            cells.append(format_share(row["p_abandon"]))
        table.append(cells + ["◀ recommended" if row["agents"] == mark else ""])
    return "\n".join(text_table(table, "r" * (len(table[0]) - 1) + "l"))


def _forecast_table(path: str, decimal: str):
    """The forecast file read by :func:`ccsim.forecast_csv.read_table` (delimiter detected,
    blank rows skipped); InputError naming ``--forecast``, the file and the line."""
    from ccsim import forecast_csv
    from ccsim.scenario.limits import MAX_INTERVALS

    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            table = forecast_csv.read_table(fh, path, max_rows=MAX_INTERVALS)
    except FileNotFoundError:
        raise InputError(f"--forecast: no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"--forecast {path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"--forecast {path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"--forecast {exc}") from None
    if decimal == "," and table.delimiter == ",":
        raise InputError(
            f"--forecast {path}: --decimal , needs cells separated by ';' or tabs, not commas"
        )
    return table


def _forecast_index(table, mapping: dict[str, str], column: str) -> int | None:
    """Where ``column`` (volume, aht, patience, start) is: its ``--column`` mapping, else its
    own name (any case, a unit in brackets aside); InputError for a mapping to nothing."""
    try:
        index = table.index(mapping.get(column, column))
    except ValueError as exc:
        raise InputError(f"--forecast {exc}") from None
    if index is None and column in mapping:
        raise InputError(f"--column {column}={mapping[column]}: no such column in {table.name} "
                         f"(it has: {', '.join(table.header)})")  # fmt: skip
    return index


def _forecast_cells(table, index: int, what: str, parse, check) -> list[float]:
    """Column ``index`` parsed and checked per row; InputError naming the line."""
    values = []
    for line, text in table.cells(index):
        where = f"--forecast {table.name} line {line}"
        try:
            value = parse(text)
        except ValueError:
            kind = "a number" if what == "volume" else "a duration"
            hint = " (a decimal comma? give --decimal ,)" if "," in text else ""
            raise InputError(f"{where}: {what} {text!r} is not {kind}{hint}") from None
        if not check(value):
            bound = "≥ 0" if what == "volume" else "> 0"
            raise InputError(f"{where}: {what} must be {bound}, got {text!r}")
        values.append(value)
    return values


def _read_forecast(path: str, decimal: str = ".", mapping=None, given=None):
    """Read a forecast CSV forgivingly and strictly (:mod:`ccsim.forecast_csv`): volume and
    aht columns (``mapping``: ``--column`` names for them), an optional patience column
    (customers abandon: Erlang A), and the interval labels. ``given`` holds ``--aht`` and
    ``--patience`` (seconds) for a file without that column; both is a conflict, refused.
    Returns the table, the values (volume, aht, patience: arrays, patience None when not
    given) and the labels with their lines (or None)."""
    import numpy as np

    from ccsim import forecast_csv

    mapping, given = dict(mapping or {}), dict(given or {})
    table = _forecast_table(path, decimal)
    values = {"patience": None}
    for column in ("volume", "aht", "patience"):
        index, option = _forecast_index(table, mapping, column), given.get(column)
        if index is not None and option is not None:
            raise InputError(f"--{column} and --forecast {path}: the file gives {column} (its "
                             f"column {table.header[index]!r}); give one of them")  # fmt: skip
        if index is not None:
            if column == "volume":
                parse = lambda t: forecast_csv.parse_number(t, decimal)  # noqa: E731
            else:
                parse = lambda t: forecast_csv.parse_duration_cell(t, decimal)  # noqa: E731
            check = (lambda v: v >= 0) if column == "volume" else (lambda v: v > 0)
            values[column] = np.array(_forecast_cells(table, index, column, parse, check))
        elif option is not None:
            values[column] = np.full(len(table.rows), float(option))
        elif column != "patience":
            raise InputError(f"--forecast {path}: missing column '{column}' (it has: "
                             f"{', '.join(table.header)}; name yours with --column "
                             f"{column}=NAME)")  # fmt: skip
    start = _forecast_index(table, mapping, "start") if "start" in mapping else None
    try:
        labels = table.labels() if start is None else (
            [text for _, text in table.cells(start)], [line for line, _ in table.rows])  # fmt: skip
    except ValueError as exc:
        raise InputError(f"--forecast {exc}") from None
    return table, values, labels


def _column_mapping(columns: tuple[str, ...]) -> dict[str, str]:
    """``--column volume=Offered`` (repeatable) as {volume: Offered}; InputError if bad."""
    mapping = {}
    for text in columns:
        name, sep, column = text.partition("=")
        if not sep or name.strip() not in _FORECAST_COLUMNS or not column.strip():
            raise InputError(f"--column {text}: expected NAME=COLUMN with NAME one of "
                             f"{', '.join(_FORECAST_COLUMNS)}, e.g. volume=Offered")  # fmt: skip
        mapping[name.strip()] = column.strip()
    return mapping


_FORECAST_COLUMNS = ("volume", "aht", "patience", "start")


def _unit_slips(*options: tuple[str, str | None], quiet: bool = False) -> None:
    """Warn on stderr about a duration option given as a bare number too small to be
    seconds (``--aht 4``: 4 s — did you mean 4min?); not with ``quiet`` (--json)."""
    from ccsim.durations import unit_slip

    for name, text in options:
        slip = unit_slip(name.lstrip("-"), text) if text is not None and not quiet else None
        if slip:
            click.echo(f"warning: {name} {text}: {slip}", err=True)


def _erlang_b(volume, aht, interval_s: float, lines, blocking, as_json: bool, others) -> None:
    """``ccsim erlang --lines N|LO..HI`` and/or ``--blocking SHARE``: Erlang B — the blocking
    at N lines, and the fewest lines whose blocking is at most the target. ``others``: the
    options Erlang B cannot honour (name → value given or None), refused when given."""
    import json
    import re

    import numpy as np

    from ccsim import erlang
    from ccsim.durations import format_duration, format_share
    from ccsim.results import text_table

    clash = [name for name, value in others.items() if value is not None]
    if clash:
        raise InputError("--lines/--blocking size lines by Erlang B (blocked contacts are "
                         f"lost, none wait); not with {', '.join(clash)}")  # fmt: skip
    if volume is None or aht is None:
        raise InputError("give --volume and --aht with --lines or --blocking")
    vol = _volume_option(volume)
    aht_s = _duration_option("--aht", aht, positive=True)
    load = erlang.traffic(vol, aht_s, interval_s)
    target = _share_option("--blocking", blocking)
    need = None if target is None else erlang.required_lines(load, target)
    if lines is not None:
        match = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", lines)
        if not match or int(match.group(2) or match.group(1)) < int(match.group(1)):
            raise InputError(f"--lines must be N or LO..HI with LO ≤ HI, e.g. 20, got {lines!r}")
        counts = np.arange(int(match.group(1)), int(match.group(2) or match.group(1)) + 1)
    else:
        counts = np.array([need])
    blocked = np.atleast_1d(erlang.erlang_b(load, counts))
    rows = [
        {"lines": int(n), "blocking": float(b), "lost": float(vol * b),
         "carried_traffic": float(load * (1 - b)),
         "occupancy": float(load * (1 - b) / n) if n else None}
        for n, b in zip(counts, blocked, strict=True)
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows[0] if len(rows) == 1 else rows, indent=2))
        return
    click.echo(f"traffic {load:.2f} Erlangs ({vol:g} contacts per {format_duration(interval_s)}, "
               f"AHT {aht_s:g}s), Erlang B: blocked contacts are lost")  # fmt: skip
    table = [["lines", "blocking", "lost per interval", "carried (Erlangs)", "occupancy", ""]]
    for row in rows:
        occ = "-" if row["occupancy"] is None else format_share(row["occupancy"])
        mark = "◀ recommended" if row["lines"] == need else ""
        table.append([str(row["lines"]), format_share(row["blocking"]), f"{row['lost']:.2f}",
                      f"{row['carried_traffic']:.2f}", occ, mark])  # fmt: skip
    click.echo("\n".join(text_table(table, "rrrrrl")))
    if need is not None:
        level = format_share(erlang.erlang_b(load, need))
        click.echo(f"recommended: {need} lines (blocking {level} ≤ {format_share(target)})")


def _volume_option(volume: str) -> float:
    """``--volume`` as a number ≥ 0; InputError naming it."""
    try:
        vol = float(volume)
    except ValueError:
        raise InputError(f"--volume must be a number, got {volume!r}") from None
    if not vol >= 0 or vol == float("inf"):
        raise InputError(f"--volume must be ≥ 0, got {volume!r}")
    return vol


def _write_csv_atomic(path: str | None, fields, rows) -> None:
    """Write rows as CSV to ``path`` (temp file in the same directory, then renamed) or stdout."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if path is None:
        click.echo(buffer.getvalue(), nl=False)
        return
    from ccsim.results import atomic_write_text

    try:
        atomic_write_text(path, buffer.getvalue())
    except OSError as exc:
        raise InputError(f"--out: cannot write {path}: {exc}") from None


def _erlang_forecast(forecast, interval_s, targets, shrink, out_file, as_json, read) -> None:
    """``ccsim erlang --forecast``: staff every row of a forecast CSV (``read``: the keywords
    of :func:`_read_forecast`) — Erlang A where customers abandon (a patience column or
    ``--patience``) — and write CSV and/or JSON."""
    import json

    from ccsim import erlang, forecast_csv

    table, values, labels = _read_forecast(forecast, **read)
    if labels is not None:
        try:
            forecast_csv.check_steps(labels[0], labels[1], interval_s, f"--forecast {forecast}")
        except ValueError as exc:
            raise InputError(f"{exc} (--interval)") from None
    patience = values["patience"]
    if targets["max_abandon"] is not None and patience is None:
        raise InputError("--max-abandon needs --patience or a patience column in the forecast")
    targets = {**targets, "patience": patience}
    vols, hts = values["volume"], values["aht"]
    load = erlang.traffic(vols, hts, interval_s)
    try:
        need = erlang.required_agents(load, hts, **targets)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    results = _erlang_rows(load, hts, need, targets["target_time"], patience, shrink)
    fields = list(dict.fromkeys(table.header))
    out_rows = []
    for (_, row), res, a in zip(table.rows, results, load, strict=True):
        cells = {name: (row[k].strip() if k < len(row) else "") for k, name in enumerate(fields)}
        cells["traffic"] = float(a)
        cells.update({k: ("inf" if v is None and k == "asa" else v) for k, v in res.items()})
        out_rows.append(cells)
    added = ["traffic", "agents", "fte", "service_level", "asa", "occupancy", "p_wait"]
    added += ["p_abandon"] if patience is not None else []
    if out_file is not None or not as_json:  # stdout carries the JSON alone with --json
        _write_csv_atomic(out_file, fields + [c for c in added if c not in fields], out_rows)
    if as_json:
        starts = labels[0] if labels is not None else [None] * len(results)
        listing = [
            {"line": line, **({"start": start} if start is not None else {}), **res}
            for (line, _), start, res in zip(table.rows, starts, results, strict=True)
        ]
        click.echo(json.dumps(listing, indent=2))


@cli.command("erlang")
@click.option("--volume", help="Contacts offered per interval (a number).")
@click.option("--interval", default="30min", show_default=True, help="Interval length, e.g. 15min.")
@click.option("--aht", help="Average handle time, e.g. 180s or 3min.")
@click.option(
    "--service-level", "service_level", help="Target share answered within --within, e.g. 80%."
)
@click.option("--within", help="Service-level threshold time, e.g. 20s.")
@click.option("--patience", help="Mean patience, e.g. 120s: use Erlang A (callers abandon).")
@click.option("--asa", help="Ceiling on the average speed of answer, e.g. 30s.")
@click.option("--max-occupancy", "max_occupancy", help="Ceiling on occupancy, e.g. 85%.")
@click.option(
    "--max-abandon", "max_abandon", help="Ceiling on abandonment, e.g. 5% (needs --patience)."
)
@click.option(
    "--shrinkage",
    default="0",
    show_default=True,
    help="Share of paid time off the phones, e.g. 30%.",
)
@click.option(
    "--agents", "agents_range", help="Show the measures over a range of agents, e.g. 10..16."
)
@click.option(
    "--lines",
    help="Erlang B (blocked contacts are lost: lines, trunks): the blocking with N lines, "
    "or over a range LO..HI.",
)
@click.option("--blocking", help="Erlang B: the fewest lines with at most this blocking, e.g. 1%.")
@click.option(
    "--forecast",
    type=click.Path(dir_okay=False, path_type=str),
    help="CSV with columns volume, aht (optionally patience, start or date and time; "
    "comma, semicolon or tab; any case; aht as 4:35, 1:02:05, 275 or 275s): staff every row.",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="NAME=COLUMN",
    help="With --forecast: read volume, aht, patience or start from another column, "
    "e.g. --column volume=Offered (repeatable).",
)
@click.option(
    "--decimal",
    type=click.Choice([".", ","]),
    default=".",
    show_default=True,
    help="With --forecast: the decimal mark of its numbers (',' needs ';' or tabs between cells).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="With --forecast: write the CSV here (default: stdout, unless --json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def erlang_command(
    volume,
    interval,
    aht,
    service_level,
    within,
    patience,
    asa,
    max_occupancy,
    max_abandon,
    shrinkage,
    agents_range,
    lines,
    blocking,
    forecast,
    columns,
    decimal,
    out_file,
    as_json,
) -> None:
    """Size one interval (or every row of a forecast) with Erlang C, or Erlang A with --patience;
    lines (trunks) with Erlang B: --lines N or --blocking 1%."""
    interval_s = _duration_option("--interval", interval, positive=True)
    _unit_slips(("--interval", interval), ("--aht", aht), ("--patience", patience), quiet=as_json)
    if lines is not None or blocking is not None:
        others = {"--service-level": service_level, "--within": within, "--patience": patience,
                  "--asa": asa, "--max-occupancy": max_occupancy, "--max-abandon": max_abandon,
                  "--agents": agents_range, "--forecast": forecast}  # fmt: skip
        _erlang_b(volume, aht, interval_s, lines, blocking, as_json, others)
        return
    targets = {
        "target_time": _duration_option("--within", within),
        "sl_target": _share_option("--service-level", service_level),
        "asa_max": _duration_option("--asa", asa, positive=True),
        "max_occupancy": _share_option("--max-occupancy", max_occupancy, upper=True),
        "max_abandon": _share_option("--max-abandon", max_abandon),
        "patience": _duration_option("--patience", patience, positive=True),
    }
    shrink = _share_option("--shrinkage", shrinkage, zero=True)
    has_target = _erlang_check_options(targets, forecast, columns, decimal, volume, agents_range)
    if forecast is not None:
        aht_s = _duration_option("--aht", aht, positive=True)
        given = {"aht": aht_s, "patience": targets["patience"]}
        read = {"decimal": decimal, "mapping": _column_mapping(columns), "given": given}
        _erlang_forecast(forecast, interval_s, targets, shrink, out_file, as_json, read)
        return
    _erlang_interval(
        volume, aht, interval, interval_s, targets, shrink, has_target, agents_range, as_json
    )


def _erlang_check_options(targets, forecast, columns, decimal, volume, agents_range) -> bool:
    """Refuse ``ccsim erlang`` options that do not go together; whether a target was given."""
    if targets["sl_target"] is not None and targets["target_time"] is None:
        raise InputError("--service-level needs --within (e.g. --within 20s)")
    if targets["max_abandon"] is not None and targets["patience"] is None and forecast is None:
        raise InputError("--max-abandon needs --patience (e.g. --patience 120s)")
    if forecast is None and (columns or decimal != "."):
        raise InputError("--column and --decimal describe a --forecast file; give one")
    has_target = any(
        targets[k] is not None for k in ("sl_target", "asa_max", "max_occupancy", "max_abandon")
    )
    if not has_target and agents_range is None:
        raise InputError(
            "give a target: --service-level with --within, --asa, --max-occupancy or --max-abandon"
        )
    if forecast is not None:
        if not has_target:
            raise InputError("--forecast needs a target: --service-level with --within, --asa, ...")
        if volume is not None or agents_range is not None:
            raise InputError(f"--forecast gives the volume of every row: not with "
                             f"{'--volume' if volume is not None else '--agents'}")  # fmt: skip
    return has_target


def _erlang_interval(
    volume, aht, interval, interval_s: float, targets, shrink, has_target, agents_range, as_json
) -> None:
    """``ccsim erlang --volume --aht``: the agents one interval needs (or the measures over
    ``--agents``), as a table or JSON."""
    import json
    import re

    import numpy as np

    from ccsim import erlang

    if volume is None or aht is None:
        raise InputError("give --volume and --aht (or --forecast FILE)")
    vol = _volume_option(volume)
    aht_s = _duration_option("--aht", aht, positive=True)
    load = erlang.traffic(vol, aht_s, interval_s)
    need = None
    if has_target:
        try:
            need = erlang.required_agents(load, aht_s, **targets)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    if agents_range is not None:
        match = re.fullmatch(r"\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?", agents_range)
        if not match or int(match.group(2) or match.group(1)) < int(match.group(1)):
            raise InputError(
                f"--agents must be N or LO..HI with LO ≤ HI, e.g. 10..16, got {agents_range!r}"
            )
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        rows = _erlang_rows(
            load, aht_s, np.arange(lo, hi + 1), targets["target_time"], targets["patience"], shrink
        )
    else:
        rows = _erlang_rows(load, aht_s, need, targets["target_time"], targets["patience"], shrink)
    if as_json:
        click.echo(json.dumps(rows if agents_range is not None else rows[0], indent=2))
        return
    model = "Erlang C" if targets["patience"] is None else "Erlang A"
    click.echo(
        f"traffic {load:.2f} Erlangs ({vol:g} contacts per {interval}, AHT {aht_s:g}s), {model}"
    )
    click.echo(_erlang_table(rows, mark=need))
    if need is not None and agents_range is None:
        click.echo(f"recommended: {need} agents ({erlang.fte(need, shrink):.1f} FTE)")


@cli.command()
@click.argument("scenario", type=click.Path(path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable summary.")
def validate(scenario: str, as_json: bool) -> None:
    """Check a scenario file; print "ok" and a summary, or every problem (exit 2)."""
    import json

    loaded = _load_scenario(scenario, warn=False)  # (the summary lists the warnings)
    if as_json:
        click.echo(json.dumps({"ok": True, **loaded.summary()}, indent=2, ensure_ascii=False))
    else:
        click.echo(f"ok: {scenario}")
        click.echo(loaded.describe())


def _jobs_option(command):
    """``--jobs N``: worker processes for the replications (default: all cores)."""
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="Worker processes playing the replications (default: all cores; "
        "the numbers are the same for any).",
    )(command)


def _executor_options(command):
    """``--executor processes|dask`` and ``--scheduler ADDRESS``: where replications run."""
    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="A running Dask scheduler, e.g. tcp://host:8786 (implies --executor dask).",
    )(command)
    return click.option(
        "--executor",
        type=click.Choice(["processes", "dask"]),
        default="processes",
        show_default=True,
        help="Play the replications in a process pool, or on Dask: a local cluster of "
        "--jobs workers, or --scheduler's (the numbers are the same on either).",
    )(command)


def _where(jobs: int | None, executor: str, scheduler: str | None) -> dict:
    """The ``jobs``/``executor``/``scheduler`` keywords of simulate and plan_staffing."""
    return {
        "jobs": _all_cores(jobs),
        "executor": "dask" if scheduler is not None else executor,
        "scheduler": scheduler,
    }


def _state_option(command):
    """``--state FILE --from HH:MM``: the rest of the day from a state (waiting, on shift)."""
    command = click.option(
        "--from",
        "from_time",
        metavar="HH:MM",
        help="With --state: the interval the state is taken at, e.g. 11:00.",
    )(command)
    return click.option(
        "--state",
        "state_file",
        type=click.Path(dir_okay=False, path_type=str),
        help="CSV kind,name,value: contacts waiting (waiting,email,45min) and agents on "
        "shift (agents,phones,12) — simulate or plan the rest of the day from --from.",
    )(command)


def _from_state(loaded, state_file: str | None, from_time: str | None):
    """The scenario from ``--from`` on, starting in the ``--state`` (exit 2 on problems)."""
    if state_file is None and from_time is None:
        return loaded
    if state_file is None or from_time is None:
        raise InputError("--state and --from go together (e.g. --state now.csv --from 11:00)")
    from ccsim.scenario import ScenarioError
    from ccsim.sim.state import read_state

    try:
        waiting, agents = read_state(state_file, loaded)
        return loaded.from_state(from_time, waiting, agents)
    except ScenarioError as exc:
        raise _scenario_input_error(exc) from None
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _set_option(command):
    """``--set key=value`` and ``--scale key=factor``: change the scenario for this run
    (repeatable). The factors do not reach the command's arguments: :func:`_load_scenario`
    reads them from the click context (every command taking ``--set`` takes ``--scale``)."""
    command = click.option(
        "--scale",
        multiple=True,
        metavar="KEY=FACTOR",
        expose_value=False,
        callback=_scale_callback,
        help="Multiply a value for this run, e.g. --scale channels.voice.volume=1.1 (10% "
        "more calls in every interval; also --set KEY=*1.1); applied after --set.",
    )(command)
    return click.option(
        "--set",
        "sets",
        multiple=True,
        metavar="KEY=VALUE",
        help="Change the scenario for this run, e.g. --set channels.voice.aht=200s "
        "or --set groups.phones.agents=15 (repeatable; ccsim sweep runs many values).",
    )(command)


def _scale_callback(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]):
    """Keep the ``--scale KEY=FACTOR`` factors in the context for :func:`_load_scenario`."""
    scales = {}
    for text in values:
        key, sep, factor = text.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--scale {text}: expected KEY=FACTOR, e.g. channels.voice.volume=1.1")
        scales[key.strip()] = _factor(f"--scale {text}", factor)
    ctx.meta["ccsim.scales"] = scales


def _factor(name: str, text: str) -> float:
    """A what-if factor: ``1.1`` or ``110%``, a finite number ≥ 0; InputError naming ``name``."""
    from ccsim.durations import parse_share

    try:
        factor = parse_share(text.strip())
    except ValueError:
        raise InputError(f"{name}: expected a factor such as 1.1 or 110%, got {text!r}") from None
    if factor < 0:
        raise InputError(f"{name}: the factor must be ≥ 0, got {text!r}")
    return factor


def _all_cores(jobs: int | None) -> int:
    from ccsim._pools import default_jobs

    return jobs or default_jobs()


@cli.command()
@click.argument("scenario", type=click.Path(path_type=str))
@_set_option
@click.option("--verify", is_flag=True, help="Correct the Erlang plan by simulation.")
@click.option(
    "--keep-fixed",
    is_flag=True,
    help='Plan only the agents = "auto" groups; keep the others as written.',
)
@click.option(
    "--replications",
    default=40,
    show_default=True,
    type=click.IntRange(2),
    help="Most simulated days per verification run (fewer where every decision is "
    "clear with fewer).",
)
@click.option("--seed", type=_SEED, default=None, help="Seed (default: the scenario's).")
@_jobs_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Directory for intervals.csv, groups.csv, summary.json (and figures).",
)
@click.option("--plot", is_flag=True, help="Also draw staffing.png into --out.")
@click.option(
    "--days-met",
    "days_met",
    metavar="SHARE",
    help="Staff so every service-level target holds on this share of days, e.g. 90% "
    "(default: the scenario's days_met, else the average day).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_state_option
@_executor_options
def staff(
    scenario: str,
    sets: tuple[str, ...],
    verify: bool,
    keep_fixed: bool,
    replications: int,
    seed: int | None,
    jobs: int | None,
    out_dir: str | None,
    plot: bool,
    days_met: str | None,
    as_json: bool,
    state_file: str | None,
    from_time: str | None,
    executor: str,
    scheduler: str | None,
) -> None:
    """Plan agents per channel and interval to meet the targets (Erlang, optionally verified).

    Every group is planned (the agents written in the scenario are taken as the
    current roster); --keep-fixed plans only the groups with agents = "auto".
    With --verify the Erlang plan is simulated and corrected until every open
    interval meets its targets with 95% confidence (same days every iteration).
    """
    import json

    from ccsim.staffing import plan_staffing

    loaded = _from_state(_load_scenario(scenario, sets), state_file, from_time)
    if plot and out_dir is None:
        raise InputError("--plot needs --out DIR to write the figure into")
    say = (lambda line: click.echo(f"  {line}", err=True)) if verify else None
    try:
        plan = plan_staffing(
            loaded,
            verify=verify,
            keep_fixed=keep_fixed,
            replications=replications,
            seed=seed,
            progress=say,
            days_met=_share_option("--days-met", days_met),
            **_where(jobs, executor, scheduler),
        )
    except (ValueError, MemoryError, ImportError, OSError) as exc:
        raise InputError(str(exc) or "not enough memory for this scenario") from None
    except _dask_start_error() as exc:  # a failure inside the run: exit 1, one line
        raise click.ClickException(str(exc)) from None
    if say is not None and plan.iterations:  # the plan kept may be an earlier run's
        misses = f"{len(plan.unmet)} interval misses" if plan.unmet else "no interval misses"
        say(f"kept: {plan.agent_hours():.1f} agent-hours, {misses} (the leanest plan with the "
            f"fewest misses of {plan.iterations} runs)")  # fmt: skip
    if out_dir is not None:
        figures = {"staffing.png": lambda: _plots().plot_staffing(plan)} if plot else {}
        _write_set(out_dir, plan.write, figures)
    if as_json:
        click.echo(json.dumps(plan.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(plan.describe())
        if out_dir is not None:
            click.echo(
                f"wrote {out_dir}/intervals.csv, groups.csv, summary.json"
                + (", staffing.png" if plot else "")
            )


def _load_scenario(path: str, sets: tuple[str, ...] = (), warn: bool = True):
    """Load a scenario with its ``--set`` changes, then its ``--scale`` factors (and
    ``--set KEY=*1.1``), or raise InputError listing every problem (exit 2). With ``warn``
    its warnings go to stderr (not with ``--json``: stdout is for machines then)."""
    from ccsim.scenario import ScenarioError, load_scenario

    overrides = _set_overrides(sets) if sets else {}  # (the sweep package loads slowly)
    ctx = click.get_current_context(silent=True)
    scales = dict(ctx.meta.get("ccsim.scales", {})) if ctx is not None else {}
    for key, value in list(overrides.items()):
        if isinstance(value, str) and value.strip().startswith("*"):
            scales[key] = _factor(f"--set {key}={value}", overrides.pop(key).strip()[1:])
    try:
        loaded = load_scenario(path)
        loaded = loaded.with_overrides(overrides) if overrides else loaded
        loaded = loaded.scaled(scales) if scales else loaded
    except ScenarioError as exc:
        raise _scenario_input_error(exc) from None
    if warn and not (ctx is not None and ctx.params.get("as_json")):
        for warning in loaded.warnings:
            click.echo(f"warning: {warning}", err=True)
    return loaded


def _set_overrides(sets: tuple[str, ...]) -> dict:
    """The ``--set KEY=VALUE`` changes as overrides; InputError for a bad one."""
    from ccsim.sweep.errors import SweepError
    from ccsim.sweep.grid import parse_set

    overrides = {}
    try:
        for text in sets:
            axis = parse_set(text)
            if len(axis.values) != 1:
                raise InputError(
                    f"--set {text}: one value per key here; ccsim sweep runs several values"
                )
            overrides[axis.key] = axis.values[0]
    except SweepError as exc:
        raise InputError(str(exc)) from None
    return overrides


def _write_outputs(out_dir: str, write) -> None:
    """Run ``write()``; a file-system error becomes a one-line error naming ``--out`` (exit 2)."""
    try:
        write()
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot write: {exc.strerror or exc}") from None


def _dask_start_error() -> type[Exception]:
    """``ccsim._pools.DaskStartError`` (imported when an error is being matched)."""
    from ccsim._pools import DaskStartError

    return DaskStartError


def _plots():
    from ccsim import plots

    return plots


def _write_set(out_dir: str, write, figures) -> None:
    """Write one run's files into ``out_dir`` as a set that replaces the previous run's
    (:func:`ccsim.results.output_set`): ``write(directory)`` and each figure ``draw()`` of
    ``figures`` (file name → draw); a file-system error names ``--out`` (exit 2)."""
    from pathlib import Path

    from ccsim.results import output_set

    def write_all() -> None:
        with output_set(out_dir) as stage:
            write(stage)
            if figures:
                from ccsim.plots import save_figure

                for name, draw in figures.items():
                    save_figure(draw(), Path(stage) / name)

    _write_outputs(out_dir, write_all)


def _write_figure(out_dir: str, name: str, draw) -> None:
    """Save the figure ``draw()`` returns as ``out_dir/name``; a file-system error names
    ``--out`` (exit 2)."""
    from pathlib import Path

    from ccsim.plots import save_figure

    _write_outputs(out_dir, lambda: save_figure(draw(), Path(out_dir) / name))


def _scenario_input_error(exc) -> InputError:
    """Every problem of a ScenarioError, one ``Error: …`` line each."""
    return InputError("\nError: ".join(str(p) for p in exc.problems))


def _sweep_progress():
    """A ``progress(done, total)`` callback drawing a click progress bar on stderr."""
    import time

    state: dict = {"bar": None, "done": 0, "start": time.monotonic()}

    def elapsed(_item) -> str:
        seconds = int(time.monotonic() - state["start"])
        return f"{seconds // 60}:{seconds % 60:02d} elapsed"

    def progress(done: int, total: int) -> None:
        if state["bar"] is None and done >= total:
            return  # nothing left to run
        if state["bar"] is None:  # first call: points already done count apart (true ETA)
            label = f"points ({done} of {total} already done)" if done else "points"
            state["bar"] = click.progressbar(
                length=max(total - done, 1),
                label=label,
                show_pos=True,
                show_eta=True,
                item_show_func=elapsed,
                file=click.get_text_stream("stderr"),
            )
            state["bar"].__enter__()
            state["done"] = done
        state["bar"].update(done - state["done"], current_item=done)
        state["done"] = done
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return progress


def _write_sweep_figure(plan, table, out_dir: str) -> None:
    """``DIR/sweep.png``: the service-level trade-off curves of a finished sweep."""
    from ccsim.plots import plot_sweep

    targets = {name: ch.sl_target for name, ch in plan.scenario.channels.items()}
    within = {name: ch.target_time for name, ch in plan.scenario.channels.items()}
    params = [a.key for a in plan.axes]
    _write_figure(
        out_dir,
        "sweep.png",
        lambda: plot_sweep(table, params, targets=targets, title=plan.scenario.name, within=within),
    )


def _print_sweep(plan, table, counts, out_dir: str, plot: bool, as_json: bool) -> None:
    """The sweep's results as a table for people, or JSON for machines."""
    import json

    from ccsim.results import to_jsonable
    from ccsim.sweep import summary_text

    if as_json:
        results = to_jsonable({**counts, "out": out_dir, "results": table})
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    click.echo(summary_text(table, [a.key for a in plan.axes]))
    done = (
        f"{counts['points']} point{'s' if counts['points'] != 1 else ''} "
        f"({counts['computed']} computed, "
        f"{counts['skipped']} already done)"
    )
    click.echo(f"{done}; wrote {out_dir}/results.csv" + (", sweep.png" if plot else ""))


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
    type=_SEED,
    default=None,
    help="Base seed (default: the scenario's); each point's seed derives from it.",
)
@click.option(
    "--common-random-numbers",
    is_flag=True,
    help="Simulate every point with the base seed itself, so points differ only by their "
    "parameters: smooth trade-off curves (default: a seed per point).",
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
@click.option(
    "--staff", is_flag=True, help="Plan each point (Erlang) and simulate the planned agents."
)
@click.option("--plot", is_flag=True, help="Draw service-level trade-off curves to DIR/sweep.png.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def sweep_command(
    scenario,
    sets,
    grid_file,
    replications,
    seed,
    common_random_numbers,
    jobs,
    out_dir,
    executor,
    scheduler,
    staff,
    plot,
    as_json,
) -> None:
    """Simulate every point of a grid of scenario variants, on all cores or Dask.

    The grid is the product of the --set options (and --grid file). Every point
    is validated before anything runs (a point that changes the intervals is
    refused). Finished points are kept in --out DIR as they finish: after Ctrl-C
    or a crash, rerun the same command to resume. DIR/results.csv has one row per
    point and channel.

    Each point gets its own seed, derived from --seed and its parameters. For
    what-if curves use --common-random-numbers: every point then uses --seed
    itself, so points differ only by their parameters, not by chance.
    """
    import sys

    from ccsim.scenario import ScenarioError
    from ccsim.sweep import (
        RunError,
        SweepError,
        SweepInterrupted,
        plan_sweep,
        read_grid_file,
        run_sweep,
    )

    if scheduler is not None:
        executor = "dask"
    try:
        axes = read_grid_file(grid_file) if grid_file else []
        axes += list(sets)
        if not axes:
            raise SweepError("nothing to sweep: give --set KEY=VALUES or --grid FILE")
        mode = "staff" if staff else "simulate"
        plan = plan_sweep(
            scenario,
            axes,
            replications=replications,
            seed=seed,
            mode=mode,
            common_random_numbers=common_random_numbers,
        )
        table, counts = run_sweep(
            plan,
            jobs=jobs,
            executor=executor,
            scheduler=scheduler,
            out=out_dir,
            progress=_sweep_progress() if sys.stderr.isatty() and not as_json else None,
        )
    except ScenarioError as exc:
        raise _scenario_input_error(exc) from None
    except SweepError as exc:
        raise InputError(str(exc)) from None
    except RunError as exc:  # a point, a file that cannot be written, Dask that does not start
        raise click.ClickException(
            f"{exc}\nfinished points are kept in {out_dir}: rerun the same command to resume"
        ) from None
    except SweepInterrupted as exc:
        click.echo(f"\n{exc}; run the same command again to resume", err=True)
        sys.exit(130)
    if plot:
        _write_sweep_figure(plan, table, out_dir)
    _print_sweep(plan, table, counts, out_dir, plot, as_json)


@cli.command("simulate")
@click.argument("scenario", type=click.Path(path_type=str))
@_set_option
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Independent simulated days (95% CIs need at least 2).",
)
@click.option("--seed", type=_SEED, default=None, help="Seed (default: the scenario's).")
@_jobs_option
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
@_state_option
@_executor_options
def simulate_command(
    scenario,
    sets,
    replications,
    seed,
    jobs,
    warmup,
    out_dir,
    plot,
    with_contacts,
    as_json,
    state_file,
    from_time,
    executor,
    scheduler,
) -> None:
    """Simulate a scenario: KPIs per channel and interval with 95% confidence intervals."""
    import json
    import sys

    from ccsim.durations import parse_duration
    from ccsim.sim import simulate
    from ccsim.staffing import resolve_agents

    loaded = _from_state(_load_scenario(scenario, sets), state_file, from_time)
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
        file=sys.stderr,
        hidden=not show,
    ) as bar:
        try:
            result = simulate(
                loaded,
                replications,
                seed,
                agents=resolve_agents(loaded),
                warmup=warmup_s,
                progress=bar.update,
                contacts=with_contacts,
                **_where(jobs, executor, scheduler),
            )
        except (ValueError, MemoryError, ImportError, OSError) as exc:
            raise InputError(str(exc) or "not enough memory for this scenario") from None
        except _dask_start_error() as exc:  # a failure inside the run: exit 1, one line
            raise click.ClickException(str(exc)) from None
    if out_dir is not None:
        figures = {"simulation.png": lambda: _plots().plot_simulation(result)} if plot else {}
        _write_set(out_dir, lambda stage: result.write(stage, contacts=with_contacts), figures)
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.describe())
        if out_dir is not None:
            extra = ", simulation.png" if plot else ""
            extra += ", contacts.csv" if with_contacts else ""
            click.echo(f"wrote {out_dir}/intervals.csv, summary.json{extra}")


@cli.command("fit")
@click.argument("history", type=click.Path(path_type=str))
@click.option("--base", required=True, type=click.Path(path_type=str), help="Scenario to fit.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="The fitted scenario file to write.")  # fmt: skip
@click.option("--weekday", "weekdays", help="Keep these weekdays only, e.g. Sun or Sun,Mon.")
@click.option("--days", "days", help="Same as --weekday (a list of weekdays).")
@click.option("--from", "date_from", metavar="DATE", help="First date to keep (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Last date to keep (YYYY-MM-DD).")
@click.option("--column", "columns", multiple=True, metavar="CHANNEL=COLUMN",
              help="Read a channel's counts from another column, e.g. voice=calls.")  # fmt: skip
@click.option("--day-factors/--no-day-factors", default=True, show_default=True,
              help="Write the kept days themselves (day_factors): days-met plans then "
              "resample real days. Leave them out of a file shared without the data.")  # fmt: skip
def fit_command(
    history, base, out_file, weekdays, days, date_from, date_to, columns, day_factors
) -> None:
    """Fit a scenario's volumes and day-to-day variation from a history of counts.

    HISTORY is a CSV with one row per date and interval (date and start columns, or
    datetime) and a count column per channel. Outlier days (closures, holidays) are set
    aside and named; the written scenario has the mean profile over the open intervals
    and the fitted volume_uncertainty.
    """
    from pathlib import Path

    from ccsim import history as hist
    from ccsim.scenario import ScenarioError
    from ccsim.scenario.parse import read_toml

    try:
        base_doc = read_toml(Path(base))
        names = list((base_doc.get("channels") or {}).keys())
        mapping = {}
        for text in columns:
            channel, sep, column = text.partition("=")
            if not sep or channel not in names:
                raise InputError(f"--column {text}: expected CHANNEL=COLUMN with a channel of "
                                 f"{base} ({', '.join(names)})")  # fmt: skip
            mapping[channel] = column
        loaded = hist.read_history(history, names, column_map=mapping)
        wanted = [w for w in (weekdays or days or "").split(",") if w.strip()]
        loaded = hist.select_days(loaded, weekdays=wanted or None, date_from=date_from,
                                  date_to=date_to)  # fmt: skip
        fit = hist.fit_history(loaded)
        hist.write_fitted_scenario(base_doc, fit, loaded, out_file, day_factors=day_factors)
    except ScenarioError as exc:
        raise _scenario_input_error(exc) from None
    except (ValueError, OSError) as exc:
        raise InputError(str(exc)) from None
    click.echo(hist.fit_summary_text(fit))
    click.echo(f"wrote {out_file}")


@cli.command("roster")
@click.argument("scenario", type=click.Path(path_type=str))
@_set_option
@click.option(
    "--from-plan",
    "plan_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="A plan written by ccsim staff --out DIR (its groups.csv); default: plan first.",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Simulate the roster; add shifts where a target misses, drop them where it holds.",
)
@click.option(
    "--replications",
    default=40,
    show_default=True,
    type=click.IntRange(2),
    help="Simulated days per verification run.",
)
@click.option("--seed", type=_SEED, default=None, help="Seed (default: the scenario's).")
@_jobs_option
@click.option(
    "--time-limit",
    "time_limit",
    default="60s",
    show_default=True,
    help="Solver time per roster, e.g. 30s or 2min.",
)
@click.option(
    "--gap", default="0.1%", show_default=True, help="Stop the solver at this optimality gap."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Directory for shifts.csv, coverage.csv, summary.json (and roster.png).",
)
@click.option("--plot", is_flag=True, help="Also draw roster.png into --out.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def roster_command(
    scenario, sets, plan_dir, verify, replications, seed, jobs, time_limit, gap, out_dir, plot,
    as_json,
) -> None:  # fmt: skip
    """Turn a staffing plan into shifts people can work: the cheapest roster of the
    scenario's [shifts.NAME] templates whose agents on the phones cover the plan.

    Without --from-plan the scenario is planned first (verified with --verify). With
    --verify the roster is simulated: where a target misses, coverage is added and the
    roster solved again; where the targets hold with fewer agents, it is made cheaper.
    """
    import json

    from ccsim.staffing.roster import make_roster, read_plan_agents

    loaded = _load_scenario(scenario, sets)
    limit = _duration_option("--time-limit", time_limit, positive=True)
    tolerance = _share_option("--gap", gap, zero=True)
    say = (lambda line: click.echo(f"  {line}", err=True)) if verify and not as_json else None
    try:
        agents = read_plan_agents(plan_dir, loaded) if plan_dir is not None else None
        roster = make_roster(
            loaded,
            agents,
            verify=verify,
            replications=replications,
            seed=seed,
            jobs=_all_cores(jobs),
            time_limit=limit,
            gap=tolerance,
            progress=say,
        )
    except (ValueError, MemoryError) as exc:
        raise InputError(str(exc) or "not enough memory for this scenario") from None
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    _write_outputs(out_dir, lambda: roster.write(out_dir))
    if plot:
        from ccsim.plots import plot_roster

        _write_figure(out_dir, "roster.png", lambda: plot_roster(roster))
    if as_json:
        click.echo(json.dumps(roster.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(roster.describe())
        click.echo(
            f"wrote {out_dir}/shifts.csv, coverage.csv, summary.json"
            + (", roster.png" if plot else "")
        )


@cli.command("backtest")
@click.argument("plan_dir", type=click.Path(path_type=str))
@click.option(
    "--history",
    required=True,
    type=click.Path(path_type=str),
    help="CSV of contacts per date and interval (date, start, a column per channel).",
)
@click.option(
    "--scenario",
    type=click.Path(path_type=str),
    help="The plan's scenario file (default: the one PLAN_DIR/summary.json echoes).",
)
@click.option("--weekday", "weekdays", help="Replay these weekdays only, e.g. Sun or Sun,Mon.")
@click.option("--days", "days", help="Same as --weekday (a list of weekdays).")
@click.option("--from", "date_from", metavar="DATE", help="First date to replay (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Last date to replay (YYYY-MM-DD).")
@click.option("--exclude", metavar="DATES", help="Dates to leave out, e.g. 2026-09-13,2026-09-20.")
@click.option("--column", "columns", multiple=True, metavar="CHANNEL=COLUMN",
              help="Read a channel's counts from another column, e.g. voice=calls.")  # fmt: skip
@click.option(
    "--replications",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Replications per simulated day (channels Erlang C does not describe).",
)
@click.option("--seed", type=_SEED, default=None,
              help="Seed of the simulated days (default: the scenario's).")  # fmt: skip
@_jobs_option
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default=None,
              help="Directory for backtest.csv and summary.json (and backtest.png).")  # fmt: skip
@click.option("--plot", is_flag=True, help="Also draw backtest.png into --out.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def backtest_command(
    plan_dir, history, scenario, weekdays, days, date_from, date_to, exclude, columns,
    replications, seed, jobs, out_dir, plot, as_json,
) -> None:  # fmt: skip
    """Replay the real days of a history against a plan written by ccsim staff --out DIR.

    Per day and channel: the service level over the day with the plan's agents (exact
    Erlang C per interval on the day's counts for a single queue without abandonment,
    else simulation), whether it met the target; then the share of days meeting each
    target with its 95% interval, and the plan's agent-hours.
    """
    import json
    import sys

    from ccsim.scenario import ScenarioError
    from ccsim.staffing.backtest import backtest_plan

    if plot and out_dir is None:
        raise InputError("--plot needs --out DIR to write the figure into")
    mapping = {}
    for text in columns:
        channel, sep, column = text.partition("=")
        if not sep or not channel.strip() or not column.strip():
            raise InputError(f"--column {text}: expected CHANNEL=COLUMN, e.g. voice=calls")
        mapping[channel.strip()] = column.strip()
    wanted = [w.strip() for w in (weekdays or days or "").split(",") if w.strip()]
    skip = [d.strip() for d in (exclude or "").split(",") if d.strip()]
    try:
        result = backtest_plan(
            plan_dir, history, scenario=scenario, weekdays=wanted or None, date_from=date_from,
            date_to=date_to, exclude=skip, column_map=mapping, replications=replications,
            seed=seed, jobs=_all_cores(jobs),
            progress=_days_progress() if sys.stderr.isatty() and not as_json else None,
        )  # fmt: skip
    except ScenarioError as exc:
        raise _scenario_input_error(exc) from None
    except (ValueError, OSError, MemoryError) as exc:
        raise InputError(str(exc) or "not enough memory for this backtest") from None
    if out_dir is not None:
        _write_outputs(out_dir, lambda: result.write(out_dir))
        if plot:
            from ccsim.plots import plot_backtest

            _write_figure(out_dir, "backtest.png", lambda: plot_backtest(result))
    if as_json:
        click.echo(json.dumps(result.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(result.describe())
        if out_dir is not None:
            extra = ", backtest.png" if plot else ""
            click.echo(f"wrote {out_dir}/backtest.csv, summary.json{extra}")


def _days_progress():
    """A ``progress(done, total)`` callback drawing a bar of simulated days on stderr."""
    state: dict = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = click.progressbar(length=total, label="simulated days", show_pos=True,
                                             file=click.get_text_stream("stderr"))  # fmt: skip
            state["bar"].__enter__()
        state["bar"].update(1)
        if done >= total:
            state["bar"].__exit__(None, None, None)

    return progress


def main() -> None:
    """Console-script entry point."""
    import ccsim

    ccsim._command_loaded()  # Ctrl-C while loading exited 130; now it is KeyboardInterrupt
    cli()


if __name__ == "__main__":  # python -m ccsim.cli
    main()
