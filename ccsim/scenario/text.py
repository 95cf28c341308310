"""A scenario in plain data and in words: :meth:`Scenario.summary` and :meth:`Scenario.describe`.

Private: use the two methods of :class:`ccsim.scenario.Scenario`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ccsim.durations import format_duration, format_share

if TYPE_CHECKING:
    from ccsim.scenario import Channel, Scenario


def summarize(scenario: Scenario) -> dict[str, Any]:
    """The plain-data summary (JSON-ready) that :meth:`Scenario.summary` returns."""
    groups = []
    for group in scenario.groups.values():
        agents: Any = "auto"
        if group.agents is not None:
            agents = {"min": int(group.agents.min()), "max": int(group.agents.max())}
        groups.append({"name": group.name, "skills": list(group.skills), "agents": agents})
    starts = scenario.starts
    return {
        "name": scenario.name,
        "source": str(scenario.source) if scenario.source is not None else None,
        "intervals": {
            "count": scenario.n_intervals,
            "length": scenario.interval,
            "first": starts[0] if starts else None,
            "last": starts[-1] if starts else None,
        },
        "seed": scenario.seed,
        "shrinkage": scenario.shrinkage,
        "volume_uncertainty": scenario.volume_uncertainty,
        "dequeue": scenario.dequeue,
        "channels": [_channel_summary(scenario, channel) for channel in scenario.channels.values()],
        "groups": groups,
        "warnings": list(scenario.warnings),
    }


def _channel_summary(scenario: Scenario, channel: Channel) -> dict[str, Any]:
    """One channel's entry: its fields, volume-weighted AHT (seconds) and peak traffic."""
    traffic = channel.traffic(scenario.interval)
    peak = int(np.argmax(traffic)) if traffic.size else 0
    total = float(channel.volume.sum())
    if total > 0:
        aht_mean = float((channel.volume * channel.aht).sum() / total)
    else:
        aht_mean = float(channel.aht.mean())
    abandons = channel.patience is not None
    return {
        "name": channel.name,
        "total_volume": total,
        "aht": aht_mean,
        "aht_min": float(channel.aht.min()),
        "aht_max": float(channel.aht.max()),
        "handle_time": channel.handle_time.describe(),
        "patience": float(channel.patience.mean()) if abandons else None,
        "patience_dist": channel.patience_dist.describe() if abandons else None,
        "concurrency": channel.concurrency,
        "concurrency_slowdown": channel.concurrency_slowdown,
        "service_level": channel.sl_target,
        "within": channel.target_time,
        "asa": channel.asa_max,
        "max_abandon": channel.max_abandon,
        "max_occupancy": channel.max_occupancy,
        "route_to": list(channel.route_to) if channel.route_to else None,
        "peak_traffic": float(traffic[peak]) if traffic.size else 0.0,
        "peak_interval": peak,
        "peak_start": scenario.starts[peak] if scenario.starts else None,
        "served_by": scenario.groups_for(channel.name),
    }


def describe(summary: Mapping[str, Any]) -> str:
    """The one-screen human form of a summary (what ``ccsim validate`` prints)."""
    iv = summary["intervals"]
    lines = [
        summary["name"],
        f"intervals: {iv['count']} × {format_duration(iv['length'])}, {iv['first']} → {iv['last']}",
        f"shrinkage {format_share(summary['shrinkage'])}, volume uncertainty (CV) "
        f"{summary['volume_uncertainty']:g}, dequeue {summary['dequeue']}, seed {summary['seed']}",
        "channels:",
    ]
    for ch in summary["channels"]:
        lines += _describe_channel(ch)
    lines.append("groups:")
    for group in summary["groups"]:
        agents = group["agents"]
        if agents != "auto":
            low, high = agents["min"], agents["max"]
            agents = f"{low}" if low == high else f"{low}–{high}"
        lines.append(f"  {group['name']}: skills {', '.join(group['skills'])}; agents {agents}")
    lines += [f"warning: {warning}" for warning in summary["warnings"]]
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return format_duration(round(value, 1))


def _describe_channel(ch: Mapping[str, Any]) -> list[str]:
    """Two lines for one channel entry of a summary: its contacts, then its targets."""
    aht = _seconds(ch["aht"])
    if ch["aht_min"] != ch["aht_max"]:
        aht += f" ({_seconds(ch['aht_min'])}–{_seconds(ch['aht_max'])})"
    patience = "never abandons"
    if ch["patience"] is not None:
        patience = f"patience {_seconds(ch['patience'])} {ch['patience_dist']}"
    conc = f", concurrency {ch['concurrency']}" if ch["concurrency"] != 1 else ""
    if ch["concurrency_slowdown"]:
        conc += f" (+{format_share(ch['concurrency_slowdown'])} per extra)"
    targets = []
    if ch["service_level"] is not None:
        targets.append(f"{format_share(ch['service_level'])} in {format_duration(ch['within'])}")
    if ch["asa"] is not None:
        targets.append(f"ASA ≤ {format_duration(ch['asa'])}")
    if ch["max_abandon"] is not None:
        targets.append(f"abandon ≤ {format_share(ch['max_abandon'])}")
    if ch["max_occupancy"] is not None:
        targets.append(f"occupancy ≤ {format_share(ch['max_occupancy'])}")
    route = f", routed to {', '.join(ch['route_to'])}" if ch["route_to"] else ""
    return [
        f"  {ch['name']}: {ch['total_volume']:,.0f} contacts, AHT {aht} {ch['handle_time']}, "
        f"{patience}{conc}",
        f"    targets: {'; '.join(targets) or 'none'}; peak traffic "
        f"{ch['peak_traffic']:.1f} Erlangs at {ch['peak_start']}{route}",
    ]
