"""Anti-gaming, measured: what a farm of fresh accounts lifts its target by, against 50 genuine
engagements from established accounts, in one process run (docs/model.md#anti-gaming).

Datasets:
- `generated`: the world of tests/support/farms.py (20 creators, 150 readers over 14 days, target t);
- `higgs`: the bundled Higgs sample (influence/sample/snap, the first 50,000 lines of the SNAP Higgs
  activity stream, 1-3 July 2012), run date 2012-07-03; the target is the person ranked about 500th
  on the base night, and the 50 genuine engagers are seeds (established, engaging two or more persons)
  that did not engage it yet, drawn with a fixed seed.
Each farm shape (tests/support/farms.py FARM_SHAPES) adds 1,000 fresh accounts on the run date. Every
row is a night scored by stages.score.score_night with the default model (communities off: they do not
change a rank); `trust off` rows switch the anti-gaming off, to show what it stops.

    .venv/bin/python bench/gaming.py [--datasets generated,higgs] [--farm-size 1000] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pyspark.sql import DataFrame, functions as F  # noqa: E402

from influence.config import Config, load_config  # noqa: E402
from influence.session import build_spark  # noqa: E402
from influence.tables import IDENTITY_LINKS, INTERACTIONS, POSTS  # noqa: E402
from stages.score import score_night  # noqa: E402
from tests.support import farms  # noqa: E402
from transforms.connectors.snap import with_snap_fields  # noqa: E402
from transforms.silver.conform import to_interactions  # noqa: E402

SAMPLE = ROOT / "influence" / "sample" / "snap" / "higgs-activity_time.first50k.txt.gz"
GENERATED_DATE = dt.date(2024, 3, 10)
HIGGS_DATE = dt.date(2012, 7, 3)
GENUINE = 50
TARGET_POSITION = 500


@dataclass
class Row:
    dataset: str
    scenario: str  # base, genuine, a farm shape; "(trust off)" when the anti-gaming is off
    target_raw_score: float
    gain_points: float  # over the base night of the same trust setting
    share_of_genuine_gain: float | None  # gain / the genuine engagement's gain, same trust setting
    seconds: float


def night(spark, config: Config, run_date: dt.date, interactions: DataFrame, links: list[tuple]):
    return score_night(
        spark,
        config,
        run_date,
        interactions,
        spark.createDataFrame(links, IDENTITY_LINKS.schema),
        spark.createDataFrame([], POSTS.schema),
        None,
    )


def target_score(spark, config, run_date, interactions, links, account: str) -> tuple[float, float]:
    """The raw score of the person holding snap account `account`, and the seconds the night took."""
    started = time.perf_counter()
    scored = night(spark, config, run_date, interactions, links)
    has_account = F.exists("accounts", lambda a: (a["network"] == "snap") & (a["account_id"] == account))
    raw = scored.scores.filter(has_account).select("raw_score").first()[0]
    scored.release()
    return float(raw), time.perf_counter() - started


def higgs_sample(spark) -> DataFrame:
    lines = spark.read.text(str(SAMPLE)).select(
        F.lit("snap").alias("source"),
        F.lit(SAMPLE.name).alias("file"),
        F.monotonically_increasing_id().alias("line_number"),
        F.col("value").alias("line"),
    )
    return to_interactions(with_snap_fields(lines, "snap"), HIGGS_DATE).persist()


def higgs_roles(spark, config: Config, interactions: DataFrame) -> tuple[str, list[str], list[str]]:
    """The target (about 500th by pagerank on the base night), 50 genuine engagers (seeds that do not
    engage it yet) and four popular accounts for camouflage (the top 4), from the base night."""
    scored = night(spark, config, HIGGS_DATE, interactions, [])
    ordered = scored.scores.orderBy(F.col("pagerank").desc()).select("account_id").limit(TARGET_POSITION).collect()
    target, popular = ordered[-1].account_id, [r.account_id for r in ordered[:4]]
    scored.release()
    end = dt.datetime.combine(HIGGS_DATE + dt.timedelta(days=1), dt.time())
    rule = config.model.trust
    activity = (
        interactions.filter(F.col("actor") != F.col("target"))
        .groupBy("actor")
        .agg(F.countDistinct("target").alias("engaged"), F.min("occurred_at").alias("first_engaged"))
    )
    first_seen = (
        interactions.select(F.col("actor").alias("account"), "occurred_at")
        .unionByName(interactions.select(F.col("target").alias("account"), "occurred_at"))
        .groupBy("account")
        .agg(F.min("occurred_at").alias("first_seen"))
    )
    engaged_target = interactions.filter(F.col("target") == target).select("actor").distinct()
    seeds = (
        activity.join(first_seen, activity.actor == first_seen.account)
        .filter(F.col("engaged") >= rule.seed_min_engaged)
        .filter(F.col("first_seen") <= F.lit(end - dt.timedelta(days=rule.seed_min_age_days)))
        .join(engaged_target, on="actor", how="left_anti")
        .filter(F.col("actor") != target)
        .select("actor")
        .orderBy("actor")
        .collect()  # a few thousand ids at most
    )
    genuine = random.Random(7).sample([r.actor for r in seeds], GENUINE)
    return target, genuine, popular


def scenarios(spark, dataset: str, config: Config, farm_size: int):
    """(name, interactions frame, links rows, target account) of each night of the dataset."""
    if dataset == "generated":
        base = farms.genuine_world(GENERATED_DATE)
        yield "base", spark.createDataFrame(base.interactions, INTERACTIONS.schema), base.links, "t"
        genuine = farms.with_genuine_engagement(base, [f"r{n}" for n in range(10, 10 + GENUINE)])
        yield "genuine", spark.createDataFrame(genuine.interactions, INTERACTIONS.schema), genuine.links, "t"
        for shape in farms.FARM_SHAPES:
            world = farms.with_farm(base, shape, size=farm_size)
            yield shape, spark.createDataFrame(world.interactions, INTERACTIONS.schema), world.links, "t"
        return
    interactions = higgs_sample(spark)
    target, genuine_engagers, popular = higgs_roles(spark, config, interactions)
    print(f"# higgs: target snap:{target}, popular {popular}", file=sys.stderr)
    yield "base", interactions, [], target
    extra = farms.with_genuine_engagement(farms.World(HIGGS_DATE), genuine_engagers, target=target)
    yield "genuine", interactions.unionByName(spark.createDataFrame(extra.interactions, INTERACTIONS.schema)), [], target
    for shape in farms.FARM_SHAPES:
        world = farms.with_farm(farms.World(HIGGS_DATE), shape, size=farm_size, target=target, popular=popular)
        rows = spark.createDataFrame(world.interactions, INTERACTIONS.schema)
        yield shape, interactions.unionByName(rows), world.links, target


def bench_dataset(spark, dataset: str, farm_size: int) -> list[Row]:
    defaults = load_config(lake="/nonexistent-lake")
    config = defaults.replace(
        model=dataclasses.replace(defaults.model, communities=dataclasses.replace(defaults.model.communities, enabled=False))
    )
    untrusted = config.replace(
        model=dataclasses.replace(config.model, trust=dataclasses.replace(config.model.trust, enabled=False))
    )
    run_date = GENERATED_DATE if dataset == "generated" else HIGGS_DATE
    measured = {}
    for name, interactions, links, target in scenarios(spark, dataset, config, farm_size):
        measured["trust", name] = target_score(spark, config, run_date, interactions, links, target)
        if name in ("base", "genuine", "star", "ring"):
            measured["off", name] = target_score(spark, untrusted, run_date, interactions, links, target)
        print(f"# {dataset} {name} done", file=sys.stderr)
    rows = []
    for setting, suffix in (("trust", ""), ("off", " (trust off)")):
        base = measured[setting, "base"][0]
        genuine_gain = measured[setting, "genuine"][0] - base
        for (kind, name), (raw, seconds) in measured.items():
            if kind != setting:
                continue
            gain = raw - base
            share = gain / genuine_gain if name not in ("base", "genuine") and genuine_gain else None
            rows.append(
                Row(
                    dataset,
                    name + suffix,
                    round(raw, 2),
                    round(gain, 2),
                    None if share is None else round(share, 4),
                    round(seconds, 1),
                )
            )
    return rows


def print_table(rows: list[Row]) -> None:
    header = ["dataset", "scenario", "target raw score", "gain (points)", "share of genuine gain", "seconds"]
    lines = [header] + [
        [
            r.dataset,
            r.scenario,
            f"{r.target_raw_score:.2f}",
            f"{r.gain_points:+.2f}",
            "" if r.share_of_genuine_gain is None else f"{r.share_of_genuine_gain:.1%}",
            f"{r.seconds:.1f}",
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(line, widths))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="generated,higgs")
    parser.add_argument("--farm-size", type=int, default=1000)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    datasets = [d for d in args.datasets.split(",") if d]
    unknown = sorted(set(datasets) - {"generated", "higgs"})
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from generated, higgs")
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(lake=str(Path(tmp) / "lake")).with_spark(ui_enabled=False, checkpoint_dir=str(Path(tmp) / "cp"))
        spark = build_spark(config, app_name="bench-gaming")
        rows = [row for dataset in datasets for row in bench_dataset(spark, dataset, args.farm_size)]
        spark.stop()
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
        return
    print(f"farms of {args.farm_size:,} fresh accounts against {GENUINE} genuine engagements (done when: every farm <= 10%)")
    print_table(rows)


if __name__ == "__main__":
    main()
