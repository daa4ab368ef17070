"""The influence model on the SNAP Higgs activity stream, one nightly run per day, 1-7 July 2012.

Steps (each skipped when its output exists, so an interrupted run resumes):
  split      the activity stream into one landing folder per UTC day
  calibrate  with --calibrate: one night over the whole stream (run date 2012-07-07) -> `influence calibrate`
             -> reference.json; else the packaged reference (influence/model_data/reference.json, made that way)
  week       seven nightly runs, 2012-07-01 .. 2012-07-07, on a fresh lake, calibrated by that reference
  stability  1% random new interactions added to the last night: score change of the untouched persons
  report     score histogram, top 20 with explanations, day-over-day change, every move above 20 points
             traced to the interactions of its day, the change of persons with no new interactions, the
             top decile's concentration, stability -> report.md

Run: python bench/higgs_week.py --work /tmp/higgs-week [--calibrate]   (about 15 minutes on 2 cores, 25 with --calibrate)
Data: ../shared/data/higgs-twitter (SNAP Higgs Twitter, De Domenico et al., Sci. Rep. 3:2980, 2013).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HIGGS = ROOT.parent / "shared" / "data" / "higgs-twitter" / "higgs-activity_time.txt.gz"
DAYS = [dt.date(2012, 7, day) for day in range(1, 8)]
INFLUENCE = [str(Path(sys.executable).with_name("influence"))]


def run(*args: str) -> None:
    print("$", " ".join(args), flush=True)
    started = time.monotonic()
    subprocess.run(args, check=True)
    print(f"  ({time.monotonic() - started:.0f} s)", flush=True)


def split(work: Path) -> None:
    landing = work / "landing"
    if (landing / "done").exists():
        return
    handles = {}
    with gzip.open(HIGGS, "rt") as stream:
        for line in stream:
            day = dt.datetime.fromtimestamp(int(line.split()[2]), dt.UTC).date()
            if day not in handles:
                folder = landing / day.isoformat() / "snap"
                folder.mkdir(parents=True, exist_ok=True)
                handles[day] = gzip.open(folder / f"higgs-activity_{day.isoformat()}.txt.gz", "wt")
            handles[day].write(line)
    for handle in handles.values():
        handle.close()
    (landing / "done").write_text("")
    print("split:", sorted(d.isoformat() for d in handles))


def calibrate(work: Path, own: bool) -> Path:
    if not own:
        from influence.model import REFERENCE_FILE

        return REFERENCE_FILE
    reference = work / "reference.json"
    if reference.exists():
        return reference
    whole = work / "landing" / "whole" / "snap"
    whole.mkdir(parents=True, exist_ok=True)
    if not (whole / HIGGS.name).exists():
        os.symlink(HIGGS, whole / HIGGS.name)
    lake = work / "calibration-lake"
    run(*INFLUENCE, "nightly", "--date", "2012-07-07", "--input", str(whole.parent), "--lake", str(lake))
    run(
        *INFLUENCE,
        "calibrate",
        "--date",
        "2012-07-07",
        "--lake",
        str(lake),
        "--out",
        str(reference),
        "--version",
        "1",
        "--description",
        "SNAP Higgs activity stream (563,069 interactions, 1-7 July 2012), one night on 2012-07-07, model v1 defaults",
    )
    return reference


def config_file(work: Path, reference: Path) -> Path:
    config = work / "week.toml"
    if not config.exists():  # an existing one (other model settings) is kept
        config.write_text(f'[model]\nreference_file = "{reference}"\n')
    return config


def week(work: Path, config: Path) -> Path:
    lake = work / "week-lake"
    for day in DAYS:
        marker = work / f"night-{day.isoformat()}.done"
        if marker.exists():
            continue
        run(
            *INFLUENCE,
            "nightly",
            "--date",
            day.isoformat(),
            "--input",
            str(work / "landing" / day.isoformat()),
            "--lake",
            str(lake),
            "--config",
            str(config),
        )
        marker.write_text("")
    return lake


def stability(work: Path, config_path: Path, lake: Path) -> dict:
    out = work / "stability.json"
    if out.exists():
        return json.loads(out.read_text())
    from pyspark.sql import functions as F

    from influence import storage
    from influence.config import load_config
    from influence.session import build_spark
    from influence.tables import IDENTITY_LINKS, INTERACTIONS, POSTS
    from stages.score import score_night

    config = load_config(str(config_path), lake=str(work / "stability-scratch")).with_spark(ui_enabled=False)
    spark = build_spark(config, app_name="higgs-stability")
    run_date = DAYS[-1]
    interactions = storage.read(spark, INTERACTIONS, lake).localCheckpoint()
    links, posts = storage.read(spark, IDENTITY_LINKS, lake), storage.read(spark, POSTS, lake)
    base = (
        score_night(spark, config, run_date, interactions, links, posts, None)
        .scores.select("person_id", "raw_score", "score")
        .localCheckpoint()
    )

    total = interactions.count()
    accounts = [
        r.account
        for r in interactions.select(F.col("actor").alias("account")).union(interactions.select("target")).distinct().collect()
    ]
    rng = random.Random(20120704)
    added = []
    for index in range(total // 100):
        actor, target = rng.sample(accounts, 2)
        occurred = dt.datetime(2012, 7, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(7 * 86400))
        added.append(
            (
                f"added-{index}",
                "snap",
                actor,
                target,
                rng.choice(["reshare", "mention", "reply"]),
                occurred.replace(tzinfo=None),
                1.0,
                None,
                None,
                "snap",
                "added",
                index,
                run_date,
            )
        )
    extra = spark.createDataFrame(added, interactions.schema)
    touched = {row[2] for row in added} | {row[3] for row in added}
    perturbed = score_night(spark, config, run_date, interactions.unionByName(extra), links, posts, None).scores.select(
        "person_id", F.col("raw_score").alias("raw_after"), F.col("score").alias("score_after")
    )
    touched_frame = spark.createDataFrame([(f"snap:{a}",) for a in touched], "person_id string")
    change = (
        base.join(perturbed, "person_id")
        .join(touched_frame, "person_id", "left_anti")
        .select(
            F.abs(F.col("score_after") - F.col("score")).alias("delta"),
            F.abs(F.col("raw_after") - F.col("raw_score")).alias("raw_delta"),
        )
    )
    row = (
        change.agg(
            F.count(F.lit(1)).alias("untouched"),
            F.percentile("delta", 0.5).alias("median"),
            F.percentile("delta", 0.99).alias("p99"),
            F.max("delta").alias("max"),
            F.percentile("raw_delta", 0.5).alias("raw_median"),
            F.percentile("raw_delta", 0.99).alias("raw_p99"),
        )
        .first()
        .asDict()
    )
    row.update(interactions=total, added=len(added), touched=len(touched))
    out.write_text(json.dumps(row, indent=2))
    spark.stop()
    return row


def report(work: Path, lake: Path, stable: dict) -> None:
    from deltalake import DeltaTable

    scores = DeltaTable(str(lake / "gold" / "influence_scores")).to_pandas(
        columns=[
            "run_date",
            "person_id",
            "score",
            "raw_score",
            "pagerank",
            "relative_rank",
            "percentile",
            "reach_score",
            "amplification_score",
            "network_score",
            "engagers",
            "top_engager_share",
            "explanation",
        ]
    )
    scores["run_date"] = scores["run_date"].astype(str)
    last = scores[scores.run_date == DAYS[-1].isoformat()]
    lines = [
        f"# Higgs week report ({len(last):,} persons on {DAYS[-1]})",
        "",
        "## Score histogram, 2012-07-07",
        "",
        "| score | persons | share |",
        "|---|---:|---:|",
    ]
    bins = [(1, 10), (11, 20), (21, 30), (31, 40), (41, 50), (51, 60), (61, 70), (71, 80), (81, 90), (91, 100)]
    for low, high in bins:
        count = int(((last.score >= low) & (last.score <= high)).sum())
        lines.append(f"| {low}-{high} | {count:,} | {count / len(last):.2%} |")
    lines += [
        "",
        "## Top 20, 2012-07-07",
        "",
        "| # | person | score | reach | amplif. | network | engagers | by kind | top engagers (share) |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|",
    ]
    top = last.sort_values(["score", "pagerank"], ascending=False).head(20)
    for position, row in enumerate(top.itertuples(), 1):
        kinds = ", ".join(f"{k} {v:.0%}" for k, v in sorted(dict(row.explanation["by_kind"]).items(), key=lambda kv: -kv[1]))
        engagers = ", ".join(f"{e['person_id']} ({e['share']:.0%})" for e in row.explanation["top_engagers"][:3])
        lines.append(
            f"| {position} | {row.person_id} | {row.score} | {row.reach_score} | {row.amplification_score} | "
            f"{row.network_score} | {row.engagers:,} | {kinds} | {engagers} |"
        )
    lines += [
        "",
        "## Day over day (persons scored on both days)",
        "",
        "| from | to | persons | mean change | median abs change | p90 abs | p99 abs | max abs |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for before, after in zip(DAYS, DAYS[1:]):
        a = scores[scores.run_date == before.isoformat()].set_index("person_id").score
        b = scores[scores.run_date == after.isoformat()].set_index("person_id").score
        delta = (b - a).dropna()
        lines.append(
            f"| {before} | {after} | {len(delta):,} | {delta.mean():+.2f} | {delta.abs().median():.0f} | "
            f"{delta.abs().quantile(0.9):.0f} | {delta.abs().quantile(0.99):.0f} | {delta.abs().max():.0f} |"
        )
    lines += traced_moves(lake, scores)
    lines += ["", "## Stability: 1% random new interactions on 2012-07-07", "", "```", json.dumps(stable, indent=2), "```"]
    (work / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


MOVE = 20  # points: every day-over-day move above this is traced


def top_engager_event(explanation, received) -> str:
    """The person's biggest engager by counted share, and the interactions it received that day: rank that
    reached the person second hand (an engager of theirs was engaged) explains a move that their own
    interactions do not."""
    engagers = list(explanation["top_engagers"])
    if not engagers:
        return "-"
    top = engagers[0]
    got = received.loc[top["person_id"]] if top["person_id"] in received.index else None
    return f"{top['person_id']} {top['share']:.0%}: " + (
        f"{got.interactions:,} ({got.engagers:,})" if got is not None else "none"
    )


def traced_moves(lake: Path, scores) -> list[str]:
    """Each move above MOVE points, with the interactions of its day that the person received and gave;
    the change of persons with no interaction that day; the top decile's concentration per day."""
    import pandas as pd
    from deltalake import DeltaTable

    interactions = DeltaTable(str(lake / "silver" / "interactions")).to_pandas(
        columns=["network", "actor", "target", "kind", "run_date"]
    )
    interactions["run_date"] = interactions["run_date"].astype(str)
    interactions["actor"] = interactions["network"] + ":" + interactions["actor"]
    interactions["target"] = interactions["network"] + ":" + interactions["target"]  # no links: a person is its account
    lines = ["", f"## Every move above {MOVE} points, traced to its day's interactions", ""]
    lines += [
        "| from | to | person | score | change | received (engagers) | kinds received | given | engagers | relative rank "
        "| top engager on the new day: share, and what it received that day (engagers) |",
        "|---|---|---|---|---:|---|---|---:|---|---|---|",
    ]
    quiet_rows = []
    by_day = {day: frame.set_index("person_id") for day, frame in scores.groupby("run_date")}
    for before, after in zip(DAYS, DAYS[1:]):
        a, b = by_day[before.isoformat()], by_day[after.isoformat()]
        both = a.index.intersection(b.index)
        delta = b.loc[both, "score"] - a.loc[both, "score"]
        tonight = interactions[interactions.run_date == after.isoformat()]
        received = tonight.groupby("target").agg(interactions=("kind", "size"), engagers=("actor", "nunique"))
        kinds = tonight.groupby(["target", "kind"]).size()
        given = tonight.groupby("actor").size()
        active = set(tonight.actor) | set(tonight.target)
        quiet = delta[[person not in active for person in delta.index]]
        quiet_rows.append(
            f"| {before} | {after} | {len(quiet):,} | {quiet.abs().median():.0f} | {quiet.abs().quantile(0.9):.0f} | "
            f"{quiet.abs().max():.0f} |"
        )
        for person in delta[delta.abs() > MOVE].sort_values(key=abs, ascending=False).index:
            got = received.loc[person] if person in received.index else None
            kinds_of = ", ".join(f"{k} {n}" for k, n in kinds.loc[person].items()) if got is not None else "-"
            lines.append(
                f"| {before} | {after} | {person} | {a.at[person, 'score']} -> {b.at[person, 'score']} | {delta[person]:+d} | "
                f"{f'{got.interactions:,} ({got.engagers:,})' if got is not None else 'none'} | {kinds_of} | "
                f"{int(given.get(person, 0)):,} | {a.at[person, 'engagers']:,} -> {b.at[person, 'engagers']:,} | "
                f"{a.at[person, 'relative_rank']:.2f} -> {b.at[person, 'relative_rank']:.2f} | "
                f"{top_engager_event(b.at[person, 'explanation'], received)} |"
            )
    lines += [
        "",
        "## Persons with no interaction on the new day (neither received nor given)",
        "",
        "| from | to | persons | median abs change | p90 abs | max abs |",
        "|---|---|---:|---:|---:|---:|",
        *quiet_rows,
        "",
        "## Concentration of the top decile: the biggest engager's share of a person's counted rank",
        "",
        "The top decile is the persons at percentile 90 or above: the published percentile, the share of the day's",
        "persons with a strictly lower relative rank, so persons tied at the floor (relative rank 1) are at 0 and",
        "the decile may hold fewer than a tenth. The share is `top_engager_share`, the biggest engager's share of",
        "the counted rank, the rank the score is computed from and the explanation divides (docs/model.md,",
        "sections 4 and 5; model version 3 and later). `one engager`: persons with exactly one engager. The last",
        "column takes the first tenth of the persons by score, then relative rank, ties included, instead.",
        "",
        "| day | persons | top-decile persons | lowest score in it | max share | persons above 50% | one engager "
        "| of the top 100 above 50% | first tenth: one engager |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for day, frame in by_day.items():
        ordered = frame.sort_values(["score", "relative_rank"], ascending=False)
        top = ordered[ordered.percentile >= 90]
        first_tenth = ordered.head(max(1, len(ordered) // 10))
        share = pd.to_numeric(top.top_engager_share, errors="coerce")
        above = share > 0.5
        lines.append(
            f"| {day} | {len(frame):,} | {len(top):,} | {int(top.score.min())} | {share.max():.2f} | {int(above.sum()):,} | "
            f"{int((top.engagers == 1).sum()):,} | {int(above.head(100).sum())} | {int((first_tenth.engagers == 1).sum()):,} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, type=Path)
    parser.add_argument("--calibrate", action="store_true", help="calibrate a reference on the whole stream first")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    split(args.work)
    reference = calibrate(args.work, args.calibrate)
    config = config_file(args.work, reference)
    lake = week(args.work, config)
    stable = stability(args.work, config, lake)
    report(args.work, lake, stable)


if __name__ == "__main__":
    main()
