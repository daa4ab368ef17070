"""The model's shipped data and identity: the calibration reference, the topic taxonomy, the config hash.

Both data files are versioned JSON in influence/model_data/ (docs/model.md); a config may point elsewhere.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, functions as F

from influence.config import Config
from influence.errors import UsageError
from transforms.model.scoring import MEASURES

MODEL_DATA = Path(__file__).resolve().parent / "model_data"
REFERENCE_FILE = MODEL_DATA / "reference.json"
TOPICS_FILE = MODEL_DATA / "topics.json"
REFERENCE_QUANTILES = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0)


@dataclass(frozen=True)
class Reference:
    version: str
    # measure -> (lower, upper) anchors on its log scale: score 1 at lower, 100 at upper.
    anchors: dict[str, tuple[float, float]]


def _read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{what} {path} cannot be read: {error}") from None


def reference_path(config: Config) -> Path:
    return Path(config.model.reference_file).expanduser() if config.model.reference_file else REFERENCE_FILE


def topics_path(config: Config) -> Path:
    return Path(config.model.topics_file).expanduser() if config.model.topics_file else TOPICS_FILE


def load_reference(config: Config) -> Reference:
    path = reference_path(config)
    data = _read_json(path, "reference distribution")
    try:
        anchors = {name: (float(data["measures"][name]["lower"]), float(data["measures"][name]["upper"])) for name in MEASURES}
        version = str(data["reference_version"])
    except (KeyError, TypeError, ValueError) as error:
        raise UsageError(
            f"reference distribution {path} lacks {error} (needs reference_version and measures {sorted(MEASURES)} with lower and upper)"
        ) from None
    bad = [name for name, (lower, upper) in anchors.items() if not upper > lower]
    if bad:
        raise UsageError(f"reference distribution {path}: upper must exceed lower for {bad}")
    return Reference(version, anchors)


def load_taxonomy(spark: SparkSession, config: Config) -> tuple[str, DataFrame]:
    """(taxonomy_version, rows topic_id, name, match, value) from the topic taxonomy file."""
    path = topics_path(config)
    data = _read_json(path, "topic taxonomy")
    try:
        rows = [
            (topic["id"], topic["name"], match, value)
            for topic in data["topics"]
            for match, field in (("term", "terms"), ("hashtag", "hashtags"))
            for values in topic[field].values()
            for value in values
        ]
        version = str(data["taxonomy_version"])
    except (KeyError, TypeError, AttributeError) as error:
        raise UsageError(f"topic taxonomy {path} is malformed: {error}") from None
    schema = "topic_id string, name string, match string, value string"
    return version, spark.createDataFrame(rows, schema)


def config_hash(config: Config) -> str:
    """sha256 of everything that decides a score: [pagerank], [model] and the bytes of the reference
    distribution and the taxonomy it uses (file locations themselves do not count)."""
    model = dataclasses.asdict(config.model)
    model.pop("reference_file")
    model.pop("topics_file")
    # The engine and the warm start decide how ranks are computed, not what they are (engines agree to 1e-9).
    pagerank = {
        name: value
        for name, value in dataclasses.asdict(config.pagerank).items()
        if name not in ("engine", "local_max_edges", "warm_start")
    }
    identity = {
        "pagerank": pagerank,
        "model": model,
        "reference_sha256": hashlib.sha256(reference_path(config).read_bytes()).hexdigest(),
        "topics_sha256": hashlib.sha256(topics_path(config).read_bytes()).hexdigest(),
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def build_reference(scores: DataFrame, version: str, description: str) -> dict:
    """A reference distribution from scored rows (one night's influence_scores): per measure, quantiles of
    its log transform, and its anchors: lower = the minimum, upper = the maximum."""
    transformed = scores.select(*[MEASURES[name](F.col(name)).alias(name) for name in MEASURES])
    row = transformed.agg(
        F.count(F.lit(1)).alias("persons"),
        *[F.percentile(F.col(name), list(REFERENCE_QUANTILES)).alias(name) for name in MEASURES],
    ).first()  # one row of quantiles
    measures = {}
    for name in MEASURES:
        values = [float(v) for v in row[name]]
        measures[name] = {
            "lower": values[0],
            "upper": values[-1],
            "quantiles": {f"{q:g}": v for q, v in zip(REFERENCE_QUANTILES, values)},
        }
    return {"reference_version": version, "description": description, "persons": row.persons, "measures": measures}
