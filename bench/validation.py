"""Where a GX suite runs: seconds to validate the same frame on GX's Spark engine and on its pandas engine
(the frame's checked columns fetched once through Arrow), with the peak driver memory of the pandas side.

The frame is the silver interactions of the Higgs activity stream (563,069 interactions), cut to each
`--rows` size and checkpointed first, so both engines read the same in-memory rows; the suite is the
night's `silver_interactions` suite (13 expectations). Each engine runs `--repeats` times in a row; the
table keeps the last run, after the JVM and GX have warmed up. It chooses `[validation] driver_max_rows`.

Data: ../shared/data/higgs-twitter (SNAP Higgs Twitter, De Domenico et al., Sci. Rep. 3:2980, 2013).

    .venv/bin/python bench/validation.py [--rows 1000,10000,100000,500000] [--repeats 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.centrality import higgs_interactions  # noqa: E402
from expectations import silver_interactions  # noqa: E402
from expectations.runner import Validator  # noqa: E402
from influence.config import load_config  # noqa: E402
from influence.session import build_spark  # noqa: E402

ENGINES = ("spark", "pandas")
PARAMETERS = {"latest_plausible_time": "2012-07-09T00:00:00"}  # the day after the stream ends


@dataclass
class Row:
    rows: int
    engine: str
    seconds: float
    success: bool
    python_peak_mb: float  # tracemalloc's peak in one more run: the fetched columns and GX's metrics
    pandas_to_spark: float | None = None  # pandas seconds / Spark seconds, on the pandas row


def bench_size(spark, interactions, rows: int, repeats: int) -> list[Row]:
    frame = interactions.limit(rows).localCheckpoint()
    measured = []
    for engine in ENGINES:
        validator = Validator(engine=engine)
        for _ in range(repeats):
            started = time.perf_counter()
            result = validator.validate(frame, silver_interactions.build_suite(), PARAMETERS)
            seconds = time.perf_counter() - started
        # memory in a run of its own: tracemalloc slows Python (and GX is mostly Python) several times
        tracemalloc.start()
        validator.validate(frame, silver_interactions.build_suite(), PARAMETERS)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert result.engine == engine
        measured.append(Row(rows, engine, round(seconds, 3), result.success, round(peak, 1)))
    spark_row, pandas_row = measured
    pandas_row.pandas_to_spark = round(pandas_row.seconds / spark_row.seconds, 3)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000,10000,100000,500000")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    args = parser.parse_args()
    sizes = [int(size) for size in args.rows.split(",") if size]
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config(lake=str(Path(tmp) / "lake")).with_spark(ui_enabled=False, checkpoint_dir=str(Path(tmp) / "cp"))
        spark = build_spark(config, app_name="bench-validation")
        Validator()  # a GX context for the suite to be built in
        interactions = higgs_interactions(spark, "activity").localCheckpoint()
        rows = [row for size in sizes for row in bench_size(spark, interactions, size, args.repeats)]
        spark.stop()
    driver_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if args.json:
        print(json.dumps({"rows": [asdict(r) for r in rows], "python_max_rss_mb": round(driver_rss_mb, 1)}, indent=2))
        return
    header = ("rows", "engine", "seconds", "passed", "python peak MB", "pandas / spark")
    lines = [header] + [
        (
            f"{r.rows:,}",
            r.engine,
            f"{r.seconds:.2f}",
            str(r.success),
            f"{r.python_peak_mb:.1f}",
            "" if r.pandas_to_spark is None else f"{r.pandas_to_spark:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"silver_interactions suite, last of {args.repeats} runs per engine")
    for line in lines:
        print("  ".join(v.rjust(w) if i != 1 else v.ljust(w) for i, (v, w) in enumerate(zip(line, widths))))
    print(f"python process max RSS: {driver_rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()
