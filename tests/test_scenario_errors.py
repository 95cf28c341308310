"""One bad scenario file per mistake: each message names the file, the key path, what is wrong."""

from __future__ import annotations

import textwrap

import pytest

from ccsim.scenario import Scenario, ScenarioError, load_scenario

GOOD_CHANNEL = """
[channels.voice]
volume = [100, 120]
aht = "180s"
"""
GOOD_GROUP = """
[groups.phones]
skills = ["voice"]
agents = [14, 15]
"""


def problems_of(tmp_path, text: str, csv: dict[str, str] | None = None) -> list[str]:
    for name, content in (csv or {}).items():
        (tmp_path / name).write_text(textwrap.dedent(content).lstrip())
    path = tmp_path / "bad.toml"
    path.write_text(textwrap.dedent(text))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


def one_problem(tmp_path, text: str, csv: dict[str, str] | None = None) -> str:
    problems = problems_of(tmp_path, text, csv)
    assert len(problems) == 1, problems
    assert problems[0].startswith("bad.toml: ")
    return problems[0]


def doc(top: str = 'interval = "30min"\n', channel: str = GOOD_CHANNEL, group: str = GOOD_GROUP):
    return top + channel + group


CASES = {
    "toml syntax": (
        'interval = "30min"\nname = "x\n',
        ["bad.toml: line 2", "TOML syntax"],
    ),
    "unknown top key": (
        doc(top='interval = "30min"\nshrinkge = 0.3\n'),
        ["bad.toml: shrinkge: unknown key", "did you mean 'shrinkage'?"],
    ),
    "unknown channel key": (
        doc(channel=GOOD_CHANNEL + 'service_level = 0.8\nwitin = "20s"\n'),
        ["bad.toml: channels.voice.witin: unknown key", "did you mean 'within'?"],
    ),
    "unknown group key": (
        doc(group=GOOD_GROUP + "agent = 3\n"),
        ["bad.toml: groups.phones.agent: unknown key", "did you mean 'agents'?"],
    ),
    "unknown routing key": (
        doc() + '[routing]\ndeque = "priority"\n',
        ["bad.toml: routing.deque: unknown key", "did you mean 'dequeue'?"],
    ),
    "unknown handle_time key": (
        doc(channel=GOOD_CHANNEL + 'handle_time = { dist = "gamma", cv = 0.5, c = 1 }\n'),
        ["bad.toml: channels.voice.handle_time.c: unknown key", "did you mean 'cv'?"],
    ),
    "wrong type for concurrency": (
        doc(channel=GOOD_CHANNEL + 'concurrency = "three"\n'),
        ["bad.toml: channels.voice.concurrency: must be a whole number ≥ 1", "got 'three'"],
    ),
    "concurrency zero": (
        doc(channel=GOOD_CHANNEL + "concurrency = 0\n"),
        ["bad.toml: channels.voice.concurrency: must be a whole number ≥ 1", "got 0"],
    ),
    "negative volume": (
        doc(channel=GOOD_CHANNEL.replace("[100, 120]", "[100, -5]")),
        ["bad.toml: channels.voice.volume[1]: expected a number ≥ 0", "got -5"],
    ),
    "missing volume": (
        doc(channel='[channels.voice]\naht = "180s"\n'),
        ["bad.toml: channels.voice.volume: required", "got nothing"],
    ),
    "volume is text": (
        doc(channel=GOOD_CHANNEL.replace("[100, 120]", '"lots"')),
        ["bad.toml: channels.voice.volume: expected a number ≥ 0", "got 'lots'"],
    ),
    "list length": (
        doc(group=GOOD_GROUP.replace("[14, 15]", "[14, 15, 16]")),
        ["bad.toml: groups.phones.agents: expected 2 values", "channels.voice.volume", "got 3"],
    ),
    "bad duration": (
        doc(channel=GOOD_CHANNEL.replace('"180s"', '"3 mins and a bit"')),
        ["bad.toml: channels.voice.aht: expected a duration", "got '3 mins and a bit'"],
    ),
    "bad duration in a list": (
        doc(channel=GOOD_CHANNEL.replace('"180s"', '["3min", "3mn"]')),
        ["bad.toml: channels.voice.aht[1]: expected a duration", "got '3mn'"],
    ),
    "service level above 1": (
        doc(channel=GOOD_CHANNEL + 'service_level = 80\nwithin = "20s"\n'),
        ["bad.toml: channels.voice.service_level: expected a share in (0, 1)", "got 80"],
    ),
    "service level 100%": (
        doc(channel=GOOD_CHANNEL + 'service_level = "100%"\nwithin = "20s"\n'),
        ["bad.toml: channels.voice.service_level: expected a share in (0, 1)", "got '100%'"],
    ),
    "max_abandon zero": (
        doc(channel=GOOD_CHANNEL + "max_abandon = 0\n"),
        ["bad.toml: channels.voice.max_abandon: expected a share in (0, 1)", "got 0"],
    ),
    "max_occupancy above 1": (
        doc(channel=GOOD_CHANNEL + 'max_occupancy = "120%"\n'),
        ["bad.toml: channels.voice.max_occupancy: expected a share in (0, 1]", "got '120%'"],
    ),
    "shrinkage 1": (
        doc(top='interval = "30min"\nshrinkage = 1\n'),
        ["bad.toml: shrinkage: expected a share in [0, 1)", "got 1"],
    ),
    "within missing": (
        doc(channel=GOOD_CHANNEL + "service_level = 0.8\n"),
        ["bad.toml: channels.voice.within: required when service_level is given", "got nothing"],
    ),
    "skill naming no channel": (
        doc(group=GOOD_GROUP.replace('["voice"]', '["voice", "vioce"]')),
        ["bad.toml: groups.phones.skills[1]: expected a channel name", "got 'vioce'"],
    ),
    "channel nobody serves": (
        doc(channel=GOOD_CHANNEL + '[channels.email]\nvolume = 5\naht = "7min"\n'),
        ["bad.toml: channels.email: no group has 'email' in its skills", "unanswered"],
    ),
    "route_to unknown group": (
        doc(channel=GOOD_CHANNEL + 'route_to = ["phone"]\n'),
        ["bad.toml: channels.voice.route_to[0]: expected a group name", "did you mean 'phones'?"],
    ),
    "route_to group lacking the skill": (
        doc(channel=GOOD_CHANNEL + 'route_to = ["mail"]\n')
        + '[groups.mail]\nskills = ["voice2"]\nagents = 1\n'
        + "[channels.voice2]\nvolume = 1\naht = 60\n",
        ["bad.toml: channels.voice.route_to[0]: group 'mail' cannot serve 'voice'"],
    ),
    "csv file missing": (
        doc(
            channel='[channels.voice]\nvolume = { csv = "nope.csv", column = "voice" }\naht = 60\n'
        ),
        ["bad.toml: channels.voice.volume.csv: CSV file not found: 'nope.csv'"],
    ),
    "interval not dividing a day": (
        doc(top='interval = "7min"\n'),
        ["bad.toml: interval: must divide a day", "got '7min'"],
    ),
    "interval missing": (
        doc(top=""),
        ["bad.toml: interval: required"],
    ),
    "bad dequeue": (
        doc() + '[routing]\ndequeue = "longest"\n',
        ['bad.toml: routing.dequeue: expected "priority" or "longest_waiting"', "got 'longest'"],
    ),
    "bad start": (
        doc(top='interval = "30min"\nstart = "8am"\n'),
        ['bad.toml: start: expected "HH:MM" or "YYYY-MM-DD HH:MM"', "got '8am'"],
    ),
    "negative seed": (
        doc(top='interval = "30min"\nseed = -1\n'),
        ["bad.toml: seed: must be a whole number ≥ 0", "got -1"],
    ),
    "fractional agents": (
        doc(group=GOOD_GROUP.replace("[14, 15]", "[14, 15.5]")),
        ["bad.toml: groups.phones.agents[1]: expected a whole number of agents ≥ 0", "got 15.5"],
    ),
    "agents text": (
        doc(group=GOOD_GROUP.replace("[14, 15]", '"many"')),
        ["bad.toml: groups.phones.agents: expected a whole number ≥ 0", '"auto"', "got 'many'"],
    ),
    "empty skills": (
        doc(group=GOOD_GROUP.replace('["voice"]', "[]"))
        + '[groups.other]\nskills = ["voice"]\nagents = 1\n',
        ["bad.toml: groups.phones.skills: expected a non-empty list", "got a list of 0"],
    ),
    "unknown distribution": (
        doc(channel=GOOD_CHANNEL + 'handle_time = "lognormale"\n'),
        ['bad.toml: channels.voice.handle_time: expected "exponential"', "got 'lognormale'"],
    ),
    "lognormal without cv": (
        doc(channel=GOOD_CHANNEL + 'handle_time = { dist = "lognormal" }\n'),
        ["bad.toml: channels.voice.handle_time.cv: required for lognormal"],
    ),
    "patience distribution without mean": (
        doc(channel=GOOD_CHANNEL + 'patience = { dist = "gamma", cv = 1.2 }\n'),
        ["bad.toml: channels.voice.patience.mean: required"],
    ),
    "concurrency beyond belief": (
        doc(channel=GOOD_CHANNEL + "concurrency = 1e300\n"),
        ["bad.toml: channels.voice.concurrency: must be at most 100", "got 1e+300"],
    ),
    "cv beyond belief": (
        doc(channel=GOOD_CHANNEL + 'handle_time = { dist = "lognormal", cv = 1e300 }\n'),
        [
            "bad.toml: channels.voice.handle_time.cv: expected a coefficient of variation > 0 "
            "and ≤ 100, got 1e+300"
        ],
    ),  # fmt: skip
    "channel not a table": (
        doc() + "[channels]\nchat = 3\n",
        None,  # TOML itself rejects redefining [channels]; covered by the syntax message
    ),
}


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case[1] is not None])
def test_each_mistake_is_named(tmp_path, name):
    text, expected = CASES[name]
    message = one_problem(tmp_path, text)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"


def test_channel_name_with_a_dot(tmp_path):
    text = 'interval = "30min"\n[channels."voice.fr"]\nvolume = 1\naht = 60\n'
    text += '[groups.phones]\nskills = ["voice.fr"]\nagents = 1\n'
    assert one_problem(tmp_path, text) == (
        "bad.toml: channels.\"voice.fr\": a channel name must not contain '.' "
        "(dotted paths such as channels.NAME.aht address it), got 'voice.fr'"
    )


def test_empty_channel_name(tmp_path):
    text = 'interval = "30min"\n[channels.""]\nvolume = 1\naht = 60\n'
    text += '[groups.phones]\nskills = [""]\nagents = 1\n'
    assert one_problem(tmp_path, text) == (
        'bad.toml: channels."": a channel name must not be empty '
        "(dotted paths such as channels.NAME.aht address it), got ''"
    )


def test_group_name_with_a_dot(tmp_path):
    message = one_problem(tmp_path, doc(group=GOOD_GROUP.replace("phones", '"phones.fr"')))
    assert message == (
        "bad.toml: groups.\"phones.fr\": a group name must not contain '.' "
        "(dotted paths such as groups.NAME.agents address it), got 'phones.fr'"
    )


def test_empty_group_name(tmp_path):
    message = one_problem(tmp_path, doc(group=GOOD_GROUP.replace("phones", '""')))
    assert message == (
        'bad.toml: groups."": a group name must not be empty '
        "(dotted paths such as groups.NAME.agents address it), got ''"
    )


def test_unaddressable_names_from_dict():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict(
            {
                "interval": "30min",
                "channels": {"voice.fr": {"volume": 1, "aht": 60}},
                "groups": {"a.b": {"skills": ["voice.fr"], "agents": 1}},
            }
        )
    assert [p.split(": ")[1] for p in [str(p) for p in info.value.problems]] == [
        'channels."voice.fr"',
        'groups."a.b"',
    ]


def test_channel_that_is_not_a_table(tmp_path):
    message = one_problem(tmp_path, doc(channel="[channels]\nvoice = 3\n", group=""))
    assert message.startswith("bad.toml: channels.voice: expected a table of channel fields")
    assert "got 3" in message


def test_csv_column_missing_lists_available_columns(tmp_path):
    text = doc(channel='[channels.voice]\nvolume = { csv = "f.csv", column = "voic" }\naht = 60\n')
    message = one_problem(tmp_path, text, {"f.csv": "start,voice,chat\n08:00,1,2\n08:30,3,4\n"})
    assert message.startswith("bad.toml: channels.voice.volume.column: no column 'voic' in f.csv")
    assert "did you mean 'voice'?" in message
    assert "available: start, voice, chat" in message


def test_csv_non_numeric_cell_names_the_line(tmp_path):
    text = doc(channel='[channels.voice]\nvolume = { csv = "f.csv", column = "voice" }\naht = 60\n')
    message = one_problem(tmp_path, text, {"f.csv": "start,voice\n08:00,10\n08:30,n/a\n"})
    assert message.startswith("bad.toml: channels.voice.volume: f.csv column 'voice', line 3")
    assert "expected a number ≥ 0" in message and "got 'n/a'" in message


def test_csv_row_with_more_cells_than_the_header(tmp_path):
    """A decimal comma shifts every later cell: refused, never read silently wrong."""
    text = doc(channel='[channels.voice]\nvolume = { csv = "f.csv", column = "voice" }\naht = 60\n')
    csv = {"f.csv": "start,voice,aht\n08:00,10,180,\n08:30,1,5,180\n"}
    message = one_problem(tmp_path, text, csv)
    assert message == (
        "bad.toml: channels.voice.volume.csv: CSV file 'f.csv' line 3: 4 cells but the header "
        "names 3 columns (a decimal comma? write 1.5, not 1,5)"
    )


def test_csv_empty_cell(tmp_path):
    text = doc(channel='[channels.voice]\nvolume = { csv = "f.csv", column = "voice" }\naht = 60\n')
    message = one_problem(tmp_path, text, {"f.csv": "start,voice\n08:00,10\n08:30,\n"})
    assert "line 3: expected a value, got an empty cell" in message


def test_csv_length_disagrees_with_lists(tmp_path):
    text = doc(channel='[channels.voice]\nvolume = { csv = "f.csv", column = "voice" }\naht = 60\n')
    text += "[channels.chat]\nvolume = [1, 2]\naht = 60\n"
    text = text.replace('["voice"]', '["voice", "chat"]')
    problems = problems_of(tmp_path, text, {"f.csv": "voice\n1\n2\n3\n"})
    assert problems == [
        "bad.toml: channels.voice.volume: expected 2 values (one per interval, like "
        "channels.chat.volume, groups.phones.agents), got 3"
    ]


def test_all_problems_reported_at_once(tmp_path):
    text = """
    interval = "45s7"
    shrinkage = 2
    [channels.voice]
    volume = -1
    aht = "3mn"
    service_level = 0.8
    concurrency = 0
    [channels.chat]
    volume = 1
    aht = 60
    [groups.phones]
    skills = ["voice", "mail"]
    agents = 3
    """
    problems = problems_of(tmp_path, text)
    paths = [p.split(": ")[1] for p in problems]
    assert paths == [
        "interval",
        "shrinkage",
        "channels.voice.volume",
        "channels.voice.aht",
        "channels.voice.concurrency",
        "channels.voice.within",
        "groups.phones.skills[1]",
        "channels.chat",
    ]
    assert all(p.startswith("bad.toml: ") for p in problems)


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.toml")
    assert [str(p) for p in info.value.problems] == [f"{tmp_path / 'nope.toml'}: no such file"]


def test_from_dict_without_source_says_scenario():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_dict({"interval": "30min", "channels": {"voice": {"volume": 1}}})
    assert "<scenario>: channels.voice.aht: required" in str(info.value)


def test_from_dict_rejects_a_non_table():
    with pytest.raises(ScenarioError, match="<scenario>: expected a table"):
        Scenario.from_dict([1, 2])  # type: ignore[arg-type]


def test_override_unknown_path_is_named():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "channels": {"voice": {"volume": 10, "aht": 180}},
            "groups": {"phones": {"skills": ["voice"], "agents": 3}},
        }
    )
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides(
            {"channels.voice.witin": "20s", "channels.video.aht": 3, "groups.phones.agents.x": 1}
        )
    problems = [str(p) for p in info.value.problems]
    assert (
        problems[0]
        == "<scenario>: channels.voice.witin: unknown key 'witin'; did you mean 'within'?"
    )
    assert problems[1].startswith("<scenario>: channels.video.aht: unknown path: no 'video'")
    assert problems[2].startswith("<scenario>: groups.phones.agents.x: unknown path")


def test_override_that_makes_the_scenario_invalid_is_reported():
    scenario = Scenario.from_dict(
        {
            "interval": "30min",
            "channels": {"voice": {"volume": 10, "aht": 180}},
            "groups": {"phones": {"skills": ["voice"], "agents": 3}},
        },
        source="s.toml",
    )
    with pytest.raises(ScenarioError, match=r"s.toml: channels.voice.concurrency: must be a whole"):
        scenario.with_overrides({"channels.voice.concurrency": 0})


def test_problems_are_data_with_key_message_and_value(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(doc(channel=GOOD_CHANNEL + "concurrency = 0\n"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.key, problem.value) == (
        "bad.toml",
        "channels.voice.concurrency",
        0,
    )
    assert problem.message.startswith("must be a whole number ≥ 1")
    assert str(problem) == f"bad.toml: channels.voice.concurrency: {problem.message}"
