"""The configuration is refused as a whole before any Spark work: unknown keys, wrong types, NaN, infinities
and out-of-range values, from the file, the environment and --set, each named with its section.

Pure Python: no test here starts Spark."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from influence.config import Config, load_config, parse_value_text
from influence.errors import UsageError
from jobs.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
TOML_TYPES = {str: "string", int: "integer", float: "float", bool: "boolean"}


def default_keys(instance: Any = None, prefix: str = "") -> dict[str, Any]:
    """Every leaf key of the configuration, dotted with its sections, and its default, walked from the
    dataclasses themselves, so a key added to them is covered by every test below."""
    instance = Config() if instance is None else instance
    keys = {}
    for item in dataclasses.fields(instance):
        value, key = getattr(instance, item.name), f"{prefix}{item.name}"
        if dataclasses.is_dataclass(value):
            keys.update(default_keys(value, f"{key}."))
        else:
            keys[key] = value
    return keys


DEFAULTS = default_keys()
FLOAT_KEYS = sorted(key for key, value in DEFAULTS.items() if type(value) is float)


def toml_setting(key: str, literal: str) -> str:
    """A config file setting one dotted key: `[model.trust]\\nfull_vote_trust = nan`."""
    *sections, name = key.split(".")
    header = f"[{'.'.join(sections)}]\n" if sections else ""
    return f"{header}{name} = {literal}\n"


def refusal(**kwargs: Any) -> str:
    with pytest.raises(UsageError) as raised:
        load_config(**{"environ": {}, **kwargs})
    return str(raised.value)


def write(tmp_path: Path, text: str, name: str = "influence.toml") -> Path:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    return file


@pytest.fixture(autouse=True)
def no_config_in_the_environment(monkeypatch):
    """The CLI reads os.environ: keep the machine's own settings out of these tests."""
    for name in list(os.environ):
        if name in ("SPARK_MASTER", "INFLUENCE_JARS_DIR") or name.upper().startswith("INFLUENCE__"):
            monkeypatch.delenv(name)


def test_the_float_keys_are_discovered_from_the_dataclasses():
    assert {"pagerank.damping", "model.half_life_days", "model.kind_weights.like", "model.trust.full_vote_trust"} <= set(
        FLOAT_KEYS
    )
    assert "pagerank.max_iterations" not in FLOAT_KEYS and "lake" not in FLOAT_KEYS


# -- NaN and infinities -------------------------------------------------------------------------------


@pytest.mark.parametrize("literal, shown", [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("+nan", "nan")])
@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_a_file_with_nan_or_inf_is_refused_naming_the_key(tmp_path, key, literal, shown):
    message = refusal(path=write(tmp_path, toml_setting(key, literal)))
    assert f"{key} must be a finite number, got {shown}" in message
    assert message.count(key) == 1  # one problem, not a second range complaint about the same value


@pytest.mark.parametrize("literal, shown", [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf")])
@pytest.mark.parametrize("key", FLOAT_KEYS)
def test_set_and_environment_with_nan_or_inf_are_refused_naming_the_key(key, literal, shown):
    assert f"--set {key}={literal}: {key} must be a finite number, got {shown}" in refusal(overrides=[f"{key}={literal}"])
    variable = "INFLUENCE__" + key.upper().replace(".", "__")
    message = refusal(environ={variable: literal})
    assert f"environment variable {variable}: {key} must be a finite number, got {shown}" in message


def test_an_integer_too_large_for_a_double_is_not_finite_either(tmp_path):
    assert "model.smoothing must be a finite number, got inf" in refusal(
        path=write(tmp_path, toml_setting("model.smoothing", "9" * 400))
    )


# -- types --------------------------------------------------------------------------------------------

WRONG_VALUES = {
    str: [("1", 1), ("true", True), ("[1]", [1])],
    int: [('"3"', "3"), ("3.0", 3.0), ("true", True)],
    float: [('"0.5"', "0.5"), ("true", True), ("[0.5]", [0.5])],
    bool: [("1", 1), ('"true"', "true")],
}
WRONG_TYPES = [
    (key, literal, value, type(default).__name__)
    for key, default in DEFAULTS.items()
    for literal, value in WRONG_VALUES[type(default)]
]


@pytest.mark.parametrize("key, literal, value, expected", WRONG_TYPES)
def test_a_wrong_type_in_a_file_is_refused_naming_the_key(tmp_path, key, literal, value, expected):
    assert f"{key} must be {expected}, got {value!r}" in refusal(path=write(tmp_path, toml_setting(key, literal)))


@pytest.mark.parametrize(
    "key, literal, value, expected", [case for case in WRONG_TYPES if not isinstance(DEFAULTS[case[0]], str)]
)
def test_a_wrong_type_from_set_is_refused_with_the_message_of_a_file(key, literal, value, expected):
    assert f"--set {key}={literal}: {key} must be {expected}, got {value!r}" in refusal(overrides=[f"{key}={literal}"])


def test_a_bool_is_not_an_int_and_a_section_must_be_a_table(tmp_path):
    assert "spark.shuffle_partitions must be int, got True" in refusal(overrides=["spark.shuffle_partitions=true"])
    assert "[model.trust] must be a table, got 3" in refusal(path=write(tmp_path, "[model]\ntrust = 3\n"))
    assert "model.trust.enabled must be bool, got 'True'" in refusal(environ={"INFLUENCE__MODEL__TRUST__ENABLED": "True"})


def test_an_integer_beyond_sparks_int_is_refused(tmp_path):
    too_big = 2**31
    message = refusal(path=write(tmp_path, f"[spark]\nshuffle_partitions = {too_big}\n"))
    assert f"spark.shuffle_partitions must be at most 2147483647, got {too_big}" in message


# -- unknown keys -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ("[sparks]\nmaster = 'local'\n", "unknown key(s) sparks at the top level"),
        ("lakes = '/x'\n", "unknown key(s) lakes at the top level"),
        ("[pagerank]\ndampening = 0.9\n", "unknown key(s) dampening in [pagerank]"),
        ("[model.trust]\nenable = false\n", "unknown key(s) enable in [model.trust]"),
        ("[model.kind_weights]\nfavourite = 1.0\nretweet = 1.0\n", "unknown key(s) favourite, retweet in [model.kind_weights]"),
    ],
)
def test_unknown_keys_in_a_file_are_refused(tmp_path, text, message):
    assert message in refusal(path=write(tmp_path, text))


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("pagerank.dampening=0.9", "--set pagerank.dampening=0.9: unknown key(s) dampening in [pagerank]"),
        ("page_rank.engine=local", "--set page_rank.engine=local: unknown key(s) page_rank at the top level"),
        ("model.trust.enable=false", "--set model.trust.enable=false: unknown key(s) enable in [model.trust]"),
        ("model.window_days.max=3", "--set model.window_days.max=3: model.window_days is a value, not a table"),
        ("pagerank.engine", "--set pagerank.engine: expected KEY=VALUE"),
        ("=local", "--set =local: no key named"),
        ("model.trust={enable = false}", "unknown key(s) enable in [model.trust]"),
    ],
)
def test_unknown_keys_from_set_are_refused(assignment, message):
    assert message in refusal(overrides=[assignment])


@pytest.mark.parametrize(
    "variable, message",
    [
        ("INFLUENCE__PAGERANK__DAMPENING", "unknown key(s) dampening in [pagerank]"),
        ("INFLUENCE__PAGE_RANK__ENGINE", "unknown key(s) page_rank at the top level"),
        ("influence__model__trust__enable", "unknown key(s) enable in [model.trust]"),
        ("INFLUENCE__", "no key named"),
    ],
)
def test_an_environment_variable_naming_no_key_is_refused_naming_the_variable(variable, message):
    assert f"environment variable {variable}: {message}" in refusal(environ={variable: "1"})


def test_single_underscore_variables_are_not_config_keys():
    config = load_config(
        environ={"INFLUENCE_PRIVACY_KEY": "00" * 32, "INFLUENCE_CACHE_DIR": "/tmp/cache", "INFLUENCE_JARS_DIR": "/jars"}
    )
    assert config.spark.jars_dir == "/jars"
    assert config.privacy == Config().privacy


# -- ranges -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, literal, message",
    [
        ("lake", '""', "lake must not be empty"),
        ("snap.network", '"higgs"', "snap.network must be one of snap, twitter, reddit, bluesky, mastodon, got 'higgs'"),
        ("snap.third_field", '"both"', "snap.third_field must be one of auto, weight, time, got 'both'"),
        ("spark.master", '"locl[*]"', "spark.master must be a Spark master URL"),
        ("spark.master", '"local[0]"', "spark.master must be a Spark master URL"),
        ("spark.master", '""', "spark.master must be a Spark master URL"),
        ("spark.driver_memory", '"4gb"', "spark.driver_memory must be a JVM size of at least 512m, e.g. 4g or 512m, got '4gb'"),
        ("spark.driver_memory", '"4096"', "spark.driver_memory must be a JVM size"),
        ("spark.driver_memory", '"256m"', "spark.driver_memory must be a JVM size of at least 512m"),
        ("spark.log_level", '"verbose"', "spark.log_level must be one of ALL, DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARN"),
        ("spark.shuffle_partitions", "0", "spark.shuffle_partitions must be >= 1, got 0"),
        ("pagerank.damping", "1.0", "pagerank.damping must be in (0, 1), got 1.0"),
        ("pagerank.tolerance", "0", "pagerank.tolerance must be in (0, 1), got 0.0"),
        ("pagerank.tolerance", "1", "pagerank.tolerance must be in (0, 1), got 1.0"),
        ("pagerank.max_error", "-1e-9", "pagerank.max_error must be in [0, 1)"),
        ("pagerank.max_iterations", "0", "pagerank.max_iterations must be >= 1, got 0"),
        ("pagerank.engine", '"pregel"', "pagerank.engine must be one of auto, graphframes, local, got 'pregel'"),
        ("pagerank.local_max_edges", "-1", "pagerank.local_max_edges must be >= 0, got -1"),
        ("validation.max_quarantine_fraction", "1.5", "validation.max_quarantine_fraction must be in [0, 1], got 1.5"),
        ("validation.future_tolerance_hours", "-1", "validation.future_tolerance_hours must be in [0, 876600], got -1"),
        ("validation.future_tolerance_hours", "876601", "validation.future_tolerance_hours must be in [0, 876600]"),
        ("validation.min_row_ratio", "1.5", "validation.min_row_ratio must be in [0, 1], got 1.5"),
        ("validation.max_row_ratio", "0.5", "validation.max_row_ratio must be >= 1, got 0.5"),
        ("validation.engine", '"gpu"', "validation.engine must be one of auto, spark, pandas, got 'gpu'"),
        ("validation.driver_max_rows", "-1", "validation.driver_max_rows must be >= 0, got -1"),
        ("validation.max_mean_score_shift", "100", "validation.max_mean_score_shift must be in [0, 99] score points, got 100.0"),
        ("validation.max_quantile_shift", "-1", "validation.max_quantile_shift must be in [0, 99] score points, got -1.0"),
        ("model.version", '""', "model.version must not be empty"),
        ("model.window_days", "-1", "model.window_days must be in [0, 36525]"),
        ("model.window_days", "36526", "model.window_days must be in [0, 36525]"),
        ("model.half_life_days", "-0.5", "model.half_life_days must be >= 0"),
        ("model.half_life_days", "40000", "model.half_life_days must be >= 0 and at most 36525"),
        ("model.smoothing", "0", "model.smoothing must be in (0, 1], got 0.0"),
        ("model.top_topics", "-1", "model.top_topics must be >= 0, got -1"),
        ("model.top_moments", "-1", "model.top_moments must be >= 0, got -1"),
        ("model.top_engagers", "-1", "model.top_engagers must be >= 0, got -1"),
        ("model.topics_file", '"/no/such/topics.json"', "model.topics_file: /no/such/topics.json does not exist"),
        ("model.kind_weights.follow", "0", "model.kind_weights.follow must be > 0, got 0.0"),
        ("model.trust.full_vote_trust", "0", "model.trust.full_vote_trust must be in (0, 1], got 0.0"),
        ("model.trust.untrusted_vote", "-0.1", "model.trust.untrusted_vote must be in [0, 1], got -0.1"),
        ("model.trust.seed_min_engaged", "0", "model.trust.seed_min_engaged must be >= 1, got 0"),
        ("model.trust.seed_min_age_days", "-1", "model.trust.seed_min_age_days must be >= 0 and below model.window_days"),
        ("model.trust.burst_allowance", "0", "model.trust.burst_allowance must be >= 1, got 0"),
        ("model.communities.max_iterations", "0", "model.communities.max_iterations must be >= 1, got 0"),
        ("model.communities.top_persons", "0", "model.communities.top_persons must be >= 1, got 0"),
        ("model.communities.top_topics", "0", "model.communities.top_topics must be >= 1, got 0"),
        ("privacy.retention_days", "-1", "privacy.retention_days must be in [0, 36525]"),
        ("privacy.retention_days", "30", "privacy.retention_days (30) must cover model.window_days (90)"),
        ("privacy.publish", '"opt-in"', "privacy.publish must be one of opt_out, opt_in, got 'opt-in'"),
        ("silver.retention_days", "-1", "silver.retention_days must be in [0, 36525]"),
        # the default window (90 days) and future tolerance (24 h): interactions of the window landed from 91 days back
        ("silver.retention_days", "90", "(91: model.window_days 90 plus validation.future_tolerance_hours 24"),
    ],
)
def test_out_of_range_values_are_refused_naming_the_key(tmp_path, key, literal, message):
    assert message in refusal(path=write(tmp_path, toml_setting(key, literal)))


@pytest.mark.parametrize(
    "key, literal",
    [
        ("spark.master", '"local"'),
        ("spark.master", '"local[2]"'),
        ("spark.master", '"local[*, 3]"'),
        ("spark.master", '"local-cluster[2, 1, 1024]"'),
        ("spark.master", '"spark://host1:7077,host2:7077"'),
        ("spark.master", '"k8s://https://cluster:443"'),
        ("spark.master", '"yarn"'),
        ("spark.master", '"sc://localhost:15002"'),
        ("spark.driver_memory", '"512m"'),
        ("spark.driver_memory", '"2G"'),
        ("spark.driver_memory", '"1048576k"'),
        ("spark.log_level", '"info"'),
        ("pagerank.max_error", "0"),
        ("model.window_days", "0"),
        ("privacy.retention_days", "90"),
        ("privacy.publish", '"opt_in"'),
        ("silver.retention_days", "91"),
    ],
)
def test_values_at_the_edge_of_their_range_are_accepted(tmp_path, key, literal):
    config = load_config(write(tmp_path, toml_setting(key, literal)), environ={})
    assert default_keys(config)[key] == tomllib.loads(f"value = {literal}")["value"]


def test_the_seed_age_must_stay_below_an_unbounded_window_too(tmp_path):
    message = refusal(path=write(tmp_path, "[model]\nwindow_days = 0\n[model.trust]\nseed_min_age_days = 36525\n"))
    assert "model.trust.seed_min_age_days must be >= 0 and below model.window_days (or 36525 when it is 0)" in message


def test_every_problem_is_reported_at_once(tmp_path):
    text = "[pagerank]\ndamping = 'high'\nengine = 'pregel'\n[model]\nhalf_life_days = nan\n[sparks]\n"
    message = refusal(path=write(tmp_path, text), overrides=["model.smoothing=2", "model.typo=1"])
    expected = [
        "unknown key(s) sparks at the top level",
        "pagerank.damping must be float, got 'high'",
        "model.half_life_days must be a finite number, got nan",
        "--set model.typo=1: unknown key(s) typo in [model]",
        "pagerank.engine must be one of auto, graphframes, local",
        "model.smoothing must be in (0, 1], got 2.0",
    ]
    assert message.startswith("config: ")
    assert [problem for problem in expected if problem not in message] == []
    assert len(message.split("; ")) == 6  # each problem once, although the file is checked alone and merged


def test_a_bad_value_in_the_file_is_refused_even_when_set_replaces_it(tmp_path):
    file = write(tmp_path, "[pagerank]\ndamping = nan\n")
    assert "pagerank.damping must be a finite number, got nan" in refusal(path=file, overrides=["pagerank.damping=0.5"])


# -- precedence ---------------------------------------------------------------------------------------


def test_precedence_is_file_then_environment_then_set_then_flag(tmp_path):
    file = write(tmp_path, 'lake = "/file"\n[spark]\nmaster = "spark://file:7077"\n[pagerank]\nengine = "graphframes"\n')
    environ = {"INFLUENCE__SPARK__MASTER": "spark://env:7077", "INFLUENCE__LAKE": "/env", "INFLUENCE__PAGERANK__ENGINE": "local"}
    overrides = ["spark.master=spark://set:7077", "lake=/set"]

    def effective(**kwargs: Any) -> tuple[str, str, str]:
        config = load_config(file, **kwargs)
        return config.lake, config.spark.master, config.pagerank.engine

    assert effective(environ={}) == ("/file", "spark://file:7077", "graphframes")
    assert effective(environ=environ) == ("/env", "spark://env:7077", "local")
    assert effective(environ=environ, overrides=overrides) == ("/set", "spark://set:7077", "local")
    flags = {"lake": "/flag", "master": "spark://flag:7077"}
    assert effective(environ=environ, overrides=overrides, **flags) == ("/flag", "spark://flag:7077", "local")


def test_the_later_set_wins_and_influence_variables_win_over_spark_master():
    assert (
        load_config(overrides=["pagerank.engine=local", "pagerank.engine=graphframes"], environ={}).pagerank.engine
        == "graphframes"
    )
    environ = {"SPARK_MASTER": "spark://legacy:7077", "INFLUENCE__SPARK__MASTER": "spark://new:7077"}
    assert load_config(environ=environ).spark.master == "spark://new:7077"
    assert load_config(environ={"SPARK_MASTER": "spark://legacy:7077"}).spark.master == "spark://legacy:7077"


def test_a_table_from_set_changes_only_the_keys_it_names(tmp_path):
    file = write(tmp_path, "[model.kind_weights]\nreply = 0.6\n")
    weights = load_config(file, overrides=["model.kind_weights={like = 0.1, follow = 0.2}"], environ={}).model.kind_weights
    assert (weights.like, weights.follow, weights.reply, weights.reshare) == (0.1, 0.2, 0.6, 1.0)


# -- TOML values of --set and the environment ---------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1e-4", 0.0001),
        ("7", 7),
        ("true", True),
        ("false", False),
        ('"text"', "text"),
        ("'text'", "text"),
        ("text", "text"),
        ("local[2]", "local[2]"),
        ("/tmp/lake", "/tmp/lake"),
        ("", ""),
        ("[1, 2]", [1, 2]),
        ("1\nother = 2", "1\nother = 2"),
    ],
)
def test_set_values_are_toml_values_or_else_strings(text, expected):
    assert parse_value_text(text) == expected


@pytest.mark.parametrize(
    "assignment, key, expected",
    [
        ("pagerank.tolerance=1e-4", "pagerank.tolerance", 0.0001),
        ("model.half_life_days=45", "model.half_life_days", 45.0),
        ("model.trust.enabled=false", "model.trust.enabled", False),
        ("pagerank.engine=local", "pagerank.engine", "local"),
        ('pagerank.engine="graphframes"', "pagerank.engine", "graphframes"),
        ("spark.master=local[2]", "spark.master", "local[2]"),
        ("model.version=3", "model.version", "3"),
        ("spark.jars_dir=", "spark.jars_dir", ""),
        ("spark.log_level=info", "spark.log_level", "info"),
        ("pagerank.max_iterations=7", "pagerank.max_iterations", 7),
        (" model.top_moments =1", "model.top_moments", 1),
    ],
)
def test_set_and_the_environment_read_values_alike(assignment, key, expected):
    from_set = default_keys(load_config(overrides=[assignment], environ={}))[key]
    variable = "INFLUENCE__" + key.upper().replace(".", "__")
    from_environment = default_keys(load_config(environ={variable: assignment.partition("=")[2]}))[key]
    assert from_set == expected and type(from_set) is type(expected)
    assert from_environment == expected and type(from_environment) is type(expected)


def test_environment_variable_names_are_read_in_any_case():
    assert load_config(environ={"influence__pagerank__engine": "local"}).pagerank.engine == "local"
    assert load_config(environ={"Influence__Model__Trust__Enabled": "false"}).model.trust.enabled is False


# -- validate-config ----------------------------------------------------------------------------------


def test_validate_config_prints_ok_and_the_effective_configuration(tmp_path, capsys):
    file = write(tmp_path, "[model]\nsmoothing = 0.25\n")
    assert main(["validate-config", str(file), "--set", "pagerank.engine=local"]) == 0
    first, _, rest = capsys.readouterr().out.partition("\n")
    assert first == f"{file}: ok"
    printed = tomllib.loads(rest)
    assert (printed["model"]["smoothing"], printed["pagerank"]["engine"], printed["pagerank"]["damping"]) == (0.25, "local", 0.85)
    assert printed["model"]["kind_weights"]["like"] == 0.25 and printed["lake"] == "./lakehouse"
    # the printed configuration is itself a valid config file giving the same configuration
    printed_file = write(tmp_path, rest, "printed.toml")
    assert load_config(printed_file, environ={}) == load_config(file, overrides=["pagerank.engine=local"], environ={})


def test_validate_config_without_a_file_checks_the_defaults_and_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("INFLUENCE__MODEL__WINDOW_DAYS", "30")
    assert main(["validate-config", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["model"]["window_days"], printed["spark"]["master"], printed["model"]["trust"]["enabled"]) == (
        30,
        "local[*]",
        True,
    )
    assert main(["validate-config"]) == 0
    assert capsys.readouterr().out.startswith("defaults: ok\n")


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (["--set", "model.half_life_days=nan"], "model.half_life_days must be a finite number, got nan"),
        (["--set", "pagerank.dampening=0.9"], "unknown key(s) dampening in [pagerank]"),
        (["/no/such/influence.toml"], "config file /no/such/influence.toml does not exist"),
    ],
)
def test_validate_config_exits_2_naming_the_problem(capsys, caplog, argv_tail, message):
    assert main(["validate-config", *argv_tail]) == 2
    assert message in caplog.text
    assert "ok" not in capsys.readouterr().out


def test_validate_config_refuses_a_bad_environment_variable(capsys, caplog, monkeypatch):
    monkeypatch.setenv("INFLUENCE__SPARK__LOG_LEVEL", "chatty")
    assert main(["validate-config"]) == 2
    assert "spark.log_level must be one of ALL, DEBUG, ERROR, FATAL, INFO, OFF, TRACE, WARN, got 'chatty'" in caplog.text
    assert capsys.readouterr().out == ""


# -- a bad config stops a command before it writes ----------------------------------------------------


@pytest.mark.parametrize(
    "argv_tail, variables, message",
    [
        (["--config", "{file}"], {}, "pagerank.tolerance must be a finite number, got inf"),
        (["--set", "model.trust.enabled=yes"], {}, "model.trust.enabled must be bool, got 'yes'"),
        ([], {"INFLUENCE__PAGERANK__ENGIN": "local"}, "environment variable INFLUENCE__PAGERANK__ENGIN: unknown key(s) engin"),
    ],
)
def test_a_bad_config_stops_nightly_with_exit_2_before_anything_is_written(
    tmp_path, caplog, monkeypatch, argv_tail, variables, message
):
    file = write(tmp_path, "[pagerank]\ntolerance = inf\n")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    lake = tmp_path / "lake"
    argv = [part.replace("{file}", str(file)) for part in argv_tail]
    assert main(["nightly", "--date", "2012-07-03", "--lake", str(lake), *argv]) == 2
    assert message in caplog.text
    assert not lake.exists()


def test_every_command_with_config_takes_set():
    commands = next(action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)).choices
    options = {name: set(command._option_string_actions) for name, command in commands.items()}
    with_config = {name for name, found in options.items() if "--config" in found}
    expected = {"nightly", "backfill", "runs", "status", "housekeeping", "publish", "rollback", "export", "calibrate"}
    expected |= {"optout", "optin", "erase", "access", "sql", "report"}
    assert with_config == expected
    assert {name for name, found in options.items() if "--set" in found} == expected | {"validate-config"}


# -- the documentation --------------------------------------------------------------------------------

DOCS = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
DOC_ROW = re.compile(r"^\| `([a-z0-9_.]+)` \| (\w+) \| `([^`]*)` \|", re.MULTILINE)


def test_the_documentation_lists_every_key_with_its_type_and_default():
    documented = {key: (kind, tomllib.loads(f"value = {default}")["value"]) for key, kind, default in DOC_ROW.findall(DOCS)}
    expected = {key: (TOML_TYPES[type(default)], default) for key, default in DEFAULTS.items()}
    assert documented == expected


def test_the_documented_example_file_is_valid_and_sets_what_it_says(tmp_path):
    example = DOCS.split("## An example file", 1)[1].split("```toml\n", 1)[1].split("```", 1)[0]
    config = load_config(write(tmp_path, example), environ={})
    assert (config.lake, config.spark.driver_memory, config.privacy.retention_days) == ("/data/influence/lake", "8g", 120)
    assert set(default_keys(config)) == set(DEFAULTS)
    assert len(re.findall(r"^[a-z0-9_]+ = ", example, re.MULTILINE)) == len(DEFAULTS)  # the example sets every key


def test_the_config_knows_the_third_fields_the_snap_connector_reads():
    """influence.config names them itself (it is read without pyspark, which the connector imports): the two
    lists must not drift apart."""
    from influence.config import SNAP_THIRD_FIELDS
    from transforms.connectors.snap import THIRD_FIELDS

    assert SNAP_THIRD_FIELDS == THIRD_FIELDS
