"""The contact center on SimPy's event loop: channel queues, agent groups, routing.

:class:`ContactCenter` owns one ``simpy.Environment``, one FIFO queue per
channel and the agents of every group. It plays one replication's
pre-generated :class:`~ccsim.sim.arrivals.Arrivals` and returns the
per-contact records; it counts nothing itself (KPIs are aggregations of the
records, see :mod:`ccsim.sim.metrics`). All times are seconds.

Rules (the contract the tests check)
------------------------------------
- **New contact.** It goes to the idle agent (holding nothing) who has been
  idle longest among the groups with its skill; when the channel has
  ``route_to``, to the first listed group with an idle agent, else to the
  longest-idle agent of the other groups with the skill. A chat channel
  (``concurrency`` > 1) that finds no idle agent goes to an agent already
  holding chats *of that channel* with a free slot (groups in routing order;
  within a group the slot free longest). Otherwise it waits in its channel's
  FIFO queue.
- **Freed agent.** An agent who finishes its last contact takes the oldest
  contact of its first non-empty skill (``dequeue = "priority"``) or the
  contact that has waited longest across its skills (``"longest_waiting"``);
  after taking a chat it fills its free slots from the same chat queue. An
  agent still holding chats only takes more chats of the same channel, so a
  voice call or an email is never given to an agent who holds anything.
- **Concurrency slowdown.** A contact started while its agent already holds
  *k* others has its handle time multiplied by ``1 + concurrency_slowdown × k``
  (fixed at the start; the record holds the stretched time).
- **Abandonment.** A waiting contact abandons at arrival + patience. Because
  queues are FIFO and nothing else depends on who is waiting, this needs no
  event: an agent skips expired contacts at the head of a queue (lazy
  deletion) and the outcome is read from the deadline afterwards.
- **Staffing.** At each interval boundary a group's headcount follows
  ``agents[i]``. New agents arrive idle and pull from the queues; when it
  drops, idle agents leave at once (most recently idle first) and the rest
  leave as busy agents finish (a chat agent who must leave takes no new chats
  and leaves when its last one ends).
- **Already waiting.** The first ``arrivals.waiting`` contacts (arrival time ≤ 0:
  their age) are in their queues at time 0, oldest first, before the first
  agents arrive: a backlog carried from the day before, or a given state.
- **End of horizon.** At ``n_intervals × interval`` the queues close: no
  contact arrives or is taken any more, agents finish what they hold, and the
  contacts still waiting are unanswered (or abandoned, if their patience ran
  out before the end).
"""

from __future__ import annotations

import array
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from simpy.core import Environment
from simpy.events import NORMAL, URGENT, Event

from ccsim.scenario import Scenario
from ccsim.sim.arrivals import Arrivals, to_buffer

__all__ = ["ContactCenter", "RawRecords"]

# A chat slot offered to new contacts is a token ``session << _SHIFT | agent``;
# it is valid while the agent's session is unchanged (lazy deletion).
_SHIFT = 24
_MASK = (1 << _SHIFT) - 1


@dataclass(frozen=True)
class RawRecords:
    """What the engine writes per contact (numpy columns aligned with the arrivals).

    ``answer`` time an agent took the contact, seconds (NaN: never);
    ``handle`` handle time actually spent, seconds (stretched by concurrency
    slowdown); ``group`` index of the serving group (−1: none);
    ``headcount`` (time s, group, agents present) after every staffing change.
    """

    answer: np.ndarray
    handle: np.ndarray
    group: np.ndarray
    headcount: list[tuple[float, int, int]]


class ContactCenter:
    """One replication of a scenario: environment, queues and agent groups.

    ``staffing`` is an int array (groups × intervals) of agents per group and
    interval, groups in scenario order. :meth:`run` plays ``arrivals`` and
    returns the :class:`RawRecords`.
    """

    def __init__(self, scenario: Scenario, staffing: np.ndarray, arrivals: Arrivals):
        self.scenario = scenario
        self.staffing = np.asarray(staffing, dtype=np.int64)
        self.arrivals = arrivals
        self.env = Environment()

    def run(self) -> RawRecords:
        """Play the replication to the end (agents finish the contacts in hand).

        One long function on purpose (the one in ccsim): the event callbacks are
        closures over local variables, which CPython reads much faster than
        attributes; split into methods, the inner loop ran measurably slower
        (``benchmarks/bench_sim.py``).
        """
        scenario, env, arr = self.scenario, self.env, self.arrivals
        channels = list(scenario.channels.values())
        group_names = list(scenario.groups)
        channel_index = {name: c for c, name in enumerate(scenario.channels)}
        n_groups, n_channels = len(group_names), len(channels)
        n = len(arr)
        length = float(scenario.interval)
        horizon = scenario.n_intervals * length

        # --- contacts: array.array for fast scalar access in callbacks (8 bytes each, where a
        # list of floats costs 32); handle is copied because slowdown stretches it ------------
        arrival, deadline = arr.time_buffer, arr.deadline_buffer
        handle = array.array("d", arr.handle_buffer)
        chan = to_buffer(arr.channel, "h")
        answer = array.array("d", [math.nan]) * n
        served_by = array.array("h", [-1]) * n

        # --- channels and groups --------------------------------------------------------------
        conc = [max(1, int(ch.concurrency)) for ch in channels]
        slow = [float(ch.concurrency_slowdown or 0.0) for ch in channels]
        multi = [c > 1 for c in conc]
        skills = [
            tuple(channel_index[s] for s in group.skills if s in channel_index)
            for group in scenario.groups.values()
        ]
        group_index = {name: g for g, name in enumerate(group_names)}
        # route_to: the listed groups in order, then (spill) the other groups with the skill,
        # longest idle first — an idle skilled agent never watches a contact wait.
        route, fixed, spill = [], [], []
        for name, ch in scenario.channels.items():
            able = tuple(group_index[g] for g in scenario.groups_for(name))
            if ch.route_to:
                listed = tuple(group_index[g] for g in ch.route_to if g in group_index)
                route.append(listed)
                fixed.append(True)
                spill.append(tuple(g for g in able if g not in listed))
            else:
                route.append(able)
                fixed.append(False)
                spill.append(())
        queues = [deque() for _ in range(n_channels)]
        idle = [deque() for _ in range(n_groups)]  # idle agents, longest idle on the left
        tokens = [[deque() if multi[c] else None for c in range(n_channels)] for _ in skills]
        staffed = [0] * n_groups  # target headcount
        present = [0] * n_groups  # agents present, including those about to leave
        to_leave = [0] * n_groups  # busy agents that leave when they next finish
        headcount: list[tuple[float, int, int]] = []
        priority = scenario.dequeue != "longest_waiting"

        # --- agents: parallel lists indexed by agent id (ids of departed agents are reused) ---
        load: list[int] = []  # contacts held
        agroup: list[int] = []
        achan: list[int] = []  # channel of the chats held, −1 when none
        session: list[int] = []  # bumped to invalidate the agent's chat-slot tokens
        leaving: list[bool] = []
        idle_since: list[float] = []
        free_ids: list[int] = []

        pool: list[Event] = []  # processed completion events, reused (saves an allocation)
        schedule = env.schedule
        closed = False
        nxt = 0

        def start(i: int, a: int, k: int) -> None:
            """Agent ``a``, holding ``k`` contacts, takes contact ``i`` now."""
            h = handle[i]
            if k:
                h *= 1.0 + slow[chan[i]] * k
                handle[i] = h
            load[a] = k + 1
            answer[i] = env._now  # env.now is a property: the attribute is faster
            served_by[i] = agroup[a]
            if pool:
                ev = pool.pop()
            else:
                ev = Event(env)
                ev._ok = True
            ev.callbacks = done_cbs  # a shared list: step() never mutates it
            ev._value = a
            schedule(ev, NORMAL, h)

        def fill(a: int, g: int, c: int) -> None:
            """Agent ``a`` holds chats of ``c``: fill free slots from the queue, offer the rest."""
            achan[a] = c
            q, cap, k, now = queues[c], conc[c], load[a], env._now
            while k < cap and q:
                i = q.popleft()
                if deadline[i] > now:  # else: abandoned while waiting
                    start(i, a, k)
                    k += 1
            if k < cap:
                tokens[g][c].extend([(session[a] << _SHIFT) | a] * (cap - k))

        def seek(a: int, g: int) -> bool:
            """Agent ``a`` (holding nothing) takes work by the dequeue rule; False: none."""
            now = env._now
            if priority:
                for c in skills[g]:
                    q = queues[c]
                    while q:
                        i = q.popleft()
                        if deadline[i] > now:  # else: abandoned while waiting
                            start(i, a, 0)
                            if multi[c]:
                                fill(a, g, c)
                            return True
                return False
            best, best_time, best_c = None, math.inf, -1
            for c in skills[g]:
                q = queues[c]
                while q and deadline[q[0]] <= now:
                    q.popleft()
                if q and arrival[q[0]] < best_time:
                    best, best_time, best_c = q, arrival[q[0]], c
            if best is None:
                return False
            start(best.popleft(), a, 0)
            if multi[best_c]:
                fill(a, g, best_c)
            return True

        def become_free(a: int, g: int) -> None:
            if not seek(a, g):
                idle_since[a] = env._now
                idle[g].append(a)

        def depart(a: int, g: int) -> None:
            leaving[a] = False
            session[a] += 1
            free_ids.append(a)
            present[g] -= 1
            headcount.append((env._now, g, present[g]))

        def hire(g: int) -> int:
            if free_ids:
                a = free_ids.pop()
                agroup[a], load[a], achan[a], leaving[a] = g, 0, -1, False
                session[a] += 1
            else:
                a = len(load)
                load.append(0)
                agroup.append(g)
                achan.append(-1)
                session.append(0)
                leaving.append(False)
                idle_since.append(0.0)
            present[g] += 1
            return a

        def longest_idle(groups: tuple[int, ...]) -> int:
            """Take the agent idle longest among ``groups``; −1 when none is idle."""
            best, best_time = None, math.inf
            for g in groups:
                d = idle[g]
                if d and idle_since[d[0]] < best_time:
                    best, best_time = d, idle_since[d[0]]
            return best.popleft() if best is not None else -1

        def on_arrival(ev: Event) -> None:
            nonlocal nxt
            i = nxt
            nxt = i + 1
            c = chan[i]
            groups = route[c]
            a = -1
            if len(groups) == 1 and not spill[c]:
                d = idle[groups[0]]
                if d:
                    a = d.popleft()
            elif fixed[c]:
                for g in groups:
                    d = idle[g]
                    if d:
                        a = d.popleft()
                        break
                else:
                    a = longest_idle(spill[c])
            else:
                a = longest_idle(groups)
            if a >= 0:
                start(i, a, 0)
                if multi[c]:
                    fill(a, agroup[a], c)
            elif multi[c] and take_slot(i, c, groups + spill[c]):
                pass
            else:
                queues[c].append(i)
            if nxt < n:
                ev.callbacks = arrival_cbs  # the arrival event is reused for the next contact
                schedule(ev, NORMAL, arrival[nxt] - env._now)

        def take_slot(i: int, c: int, groups: tuple[int, ...]) -> bool:
            for g in groups:
                t = tokens[g][c]
                if t is None:
                    continue
                while t:
                    tok = t.popleft()
                    a = tok & _MASK
                    if session[a] == tok >> _SHIFT:
                        start(i, a, load[a])
                        return True
            return False

        def on_done(ev: Event) -> None:
            a = ev._value
            pool.append(ev)
            k = load[a] - 1
            load[a] = k
            g = agroup[a]
            if closed:
                if k == 0:
                    depart(a, g)
                return
            if k:  # still holding chats of achan[a]
                if leaving[a]:
                    return
                if to_leave[g]:
                    to_leave[g] -= 1
                    leaving[a] = True
                    session[a] += 1
                    return
                c = achan[a]
                q, now = queues[c], env._now
                while q:
                    i = q.popleft()
                    if deadline[i] > now:  # else: abandoned while waiting
                        start(i, a, k)
                        return
                tokens[g][c].append((session[a] << _SHIFT) | a)
                return
            if achan[a] >= 0:
                achan[a] = -1
                session[a] += 1
            if leaving[a]:
                depart(a, g)
            elif to_leave[g]:
                to_leave[g] -= 1
                depart(a, g)
            else:
                become_free(a, g)

        def set_staffing(interval: int) -> None:
            for g in range(n_groups):
                target = int(self.staffing[g, interval])
                current = staffed[g]
                if target > current:
                    extra = target - current
                    cancel = min(extra, to_leave[g])
                    to_leave[g] -= cancel
                    for _ in range(extra - cancel):
                        become_free(hire(g), g)
                    if extra > cancel:
                        headcount.append((env._now, g, present[g]))
                elif target < current:
                    surplus, d = current - target, idle[g]
                    while surplus and d:
                        depart(d.pop(), g)
                        surplus -= 1
                    to_leave[g] += surplus
                staffed[g] = target

        def on_boundary(ev: Event) -> None:
            set_staffing(ev._value)

        def on_close(ev: Event) -> None:
            nonlocal closed
            closed = True
            for g in range(n_groups):  # idle agents go home; busy ones finish first
                d = idle[g]
                while d:
                    depart(d.pop(), g)

        arrival_cbs = [on_arrival]
        done_cbs = [on_done]

        # contacts already waiting at time 0 (a carried backlog, or a given state), oldest first
        nxt = arr.waiting
        for i in range(nxt):
            queues[chan[i]].append(i)
        set_staffing(0)
        for i in range(1, scenario.n_intervals):
            if (self.staffing[:, i] != self.staffing[:, i - 1]).any():
                ev = Event(env)
                ev._ok, ev._value, ev.callbacks = True, i, [on_boundary]
                schedule(ev, URGENT, i * length)
        ev = Event(env)
        ev._ok, ev._value, ev.callbacks = True, None, [on_close]
        schedule(ev, URGENT, horizon)
        if n > nxt:
            ev = Event(env)
            ev._ok, ev._value, ev.callbacks = True, None, arrival_cbs
            schedule(ev, NORMAL, arrival[nxt])
        env.run()
        arrival_cbs.clear()  # break the reference cycles callbacks ↔ lists
        done_cbs.clear()
        return RawRecords(
            answer=np.frombuffer(answer, dtype=float),
            handle=np.frombuffer(handle, dtype=float),
            group=np.frombuffer(served_by, dtype=np.int16),
            headcount=headcount,
        )
