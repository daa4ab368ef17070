"""Audience size: how much of the published score is explained by log(followers), on the real French media
sample (../shared/data/twitter-v2-fr-media: 6,632 tweets of 28 French media accounts, March-June 2022,
whose API pages carry each account's follower count).

Klout's score was reproduced by log(followers) with R^2 of about 0.94: a score that says no more than an
audience size. This runs one `influence nightly` on the sample in a process of its own, reads the published
profiles and the accounts' follower counts from the lake with delta-rs (no JVM), and fits
score = a + b log10(followers) by least squares over the scored accounts whose follower count is known.
It prints R^2, Spearman's rank correlation and the accounts, or `--json`.

    .venv/bin/python bench/audience.py [--json] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from deltalake import DeltaTable

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "twitter-v2-fr-media" / "pages.jsonl.gz"
RUN_DATE = "2022-06-30"  # after the sample's last tweet


def ranks(values: np.ndarray) -> np.ndarray:
    """Average ranks (ties share their mean rank), for Spearman's correlation."""
    order = np.argsort(values, kind="stable")
    ranked = np.empty(len(values))
    ranked[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def fit(followers: np.ndarray, scores: np.ndarray) -> dict:
    if len(scores) < 3 or np.ptp(scores) == 0:
        # every score equal (or too few): no line explains anything, R^2 is undefined
        return {"r_squared": None, "slope_per_decade": None, "spearman": None, "distinct_scores": len(np.unique(scores))}
    x = np.log10(followers)
    slope, intercept = np.polyfit(x, scores, 1)
    residual = scores - (intercept + slope * x)
    r_squared = 1 - (residual**2).sum() / ((scores - scores.mean()) ** 2).sum()
    spearman = np.corrcoef(ranks(followers), ranks(scores))[0, 1]
    return {
        "r_squared": round(float(r_squared), 3),
        "slope_per_decade": round(float(slope), 2),
        "spearman": round(float(spearman), 3),
        "distinct_scores": len(np.unique(scores)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    if not SAMPLE.is_file():
        raise SystemExit(f"the French media sample is not at {SAMPLE}")
    work = Path(args.work or tempfile.mkdtemp(prefix="influence-audience-"))
    landing, lake = work / "landing", work / "lake"
    shutil.rmtree(work, ignore_errors=True)
    (landing / "twitter_v2").mkdir(parents=True)
    shutil.copy(SAMPLE, landing / "twitter_v2" / SAMPLE.name)
    command = [str(Path(sys.executable).with_name("influence")), "nightly", "--date", RUN_DATE, "--input", str(landing)]
    done = subprocess.run(
        [*command, "--lake", str(lake)], capture_output=True, text=True, env={**os.environ, "PYARROW_IGNORE_TIMEZONE": "1"}
    )
    if done.returncode != 0:
        raise SystemExit(f"nightly exited {done.returncode}: {done.stderr[-3000:]}")

    profiles = DeltaTable(str(lake / "gold" / "profiles")).to_pandas(columns=["network", "account_id", "score", "raw_score"])
    accounts = DeltaTable(str(lake / "silver" / "accounts")).to_pandas(
        columns=["network", "account_id", "handle", "followers_count"]
    )
    joined = profiles.merge(accounts, on=["network", "account_id"]).dropna(subset=["followers_count"])
    joined = joined[joined["followers_count"] > 0].sort_values("followers_count", ascending=False)
    followers, scores = joined["followers_count"].to_numpy(float), joined["score"].to_numpy(float)
    interactions = DeltaTable(str(lake / "silver" / "interactions")).to_pandas(columns=["network", "actor", "target"])
    these = set(zip(joined["network"], joined["account_id"]))
    report = {
        "interactions": len(interactions),
        "from_these_accounts": sum(pair in these for pair in zip(interactions["network"], interactions["actor"])),
        "to_these_accounts": sum(pair in these for pair in zip(interactions["network"], interactions["target"])),
        "sample": str(SAMPLE.relative_to(ROOT.parent)),
        "profiles": len(profiles),
        "accounts_with_followers": len(joined),
        "score": fit(followers, scores),
        "raw_score": fit(followers, joined["raw_score"].to_numpy(float)),
        "accounts": [
            {"handle": row.handle, "followers": int(row.followers_count), "score": int(row.score)} for row in joined.itertuples()
        ],
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{report['profiles']} profiles; {report['accounts_with_followers']} scored accounts with a follower count")
    for name in ("score", "raw_score"):
        fitted = report[name]
        if fitted["r_squared"] is None:
            print(f"  {name:<10} R^2 undefined: {fitted['distinct_scores']} distinct value(s) over these accounts")
        else:
            print(
                f"  {name:<10} R^2 {fitted['r_squared']}, slope {fitted['slope_per_decade']} per tenfold, Spearman {fitted['spearman']}"
            )
    print(
        f"  the sample's {report['interactions']:,} interactions: {report['from_these_accounts']:,} by these accounts, "
        f"{report['to_these_accounts']:,} to them"
    )
    print(f"  {'handle':<22}{'followers':>12}{'score':>7}")
    for account in report["accounts"]:
        print(f"  {account['handle'] or '-':<22}{account['followers']:>12,}{account['score']:>7}")


if __name__ == "__main__":
    main()
