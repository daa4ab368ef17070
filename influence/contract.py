"""The published contract of gold/profiles (contracts/profiles.json) and the check that a schema honours it.

A schema honours the contract when every contracted column is there with its Spark SQL type
(`DataType.simpleString()`: string, int, bigint, double, date, ...) and is not nullable where the
contract promises a value. Extra columns are allowed: consumers ignore what they do not know.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import types as T

from influence.errors import InfluenceError, ValidationFailed

PROFILES_CONTRACT = Path(__file__).resolve().parents[1] / "contracts" / "profiles.json"


@dataclass(frozen=True)
class ContractColumn:
    name: str
    type: str
    nullable: bool
    description: str


@dataclass(frozen=True)
class Contract:
    table: str
    schema_version: int
    key: tuple[str, ...]
    columns: tuple[ContractColumn, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def load_contract(path: Path = PROFILES_CONTRACT) -> Contract:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        return Contract(
            table=document["table"],
            schema_version=int(document["schema_version"]),
            key=tuple(document["key"]),
            columns=tuple(
                ContractColumn(c["name"], c["type"], bool(c["nullable"]), c["description"]) for c in document["columns"]
            ),
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InfluenceError(f"contract {path} cannot be read ({type(error).__name__}: {error})") from None


def violations(contract: Contract, schema: T.StructType) -> list[str]:
    """What in `schema` breaks the contract: removed columns, retyped columns, promised values now nullable."""
    fields = {field.name: field for field in schema.fields}
    problems = []
    for column in contract.columns:
        field = fields.get(column.name)
        if field is None:
            problems.append(f"column {column.name} ({column.type}) was removed")
        elif field.dataType.simpleString() != column.type:
            problems.append(f"column {column.name} is {field.dataType.simpleString()}, the contract says {column.type}")
        elif field.nullable and not column.nullable:
            problems.append(f"column {column.name} is nullable, the contract promises a value in every row")
    return problems


def require(contract: Contract, schema: T.StructType, what: str) -> None:
    """Raise ValidationFailed (exit code 1) naming every violation when `schema` breaks the contract."""
    problems = violations(contract, schema)
    if problems:
        raise ValidationFailed(
            f"{what} breaks the {contract.table} contract (schema_version {contract.schema_version}): " + "; ".join(problems),
            problems,
        )
