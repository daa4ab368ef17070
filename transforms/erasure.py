"""What names one person in stored data, and nothing wider (docs/privacy.md#erasure).

An erasure deletes the rows a person owns and redacts the other rows that name them. Matching by a bare
token would overreach: erasing `snap:100` must not touch a Twitter line holding `"retweet_count": 100`, nor
a Great Expectations suite's `"max_value": 100`. So a person is named:

- everywhere, by a person id (`p-17`, or `snap:100` when the account is its own person, also the ids their
  accounts had before a link) as a whole token, and by an account as a `(network, account_id)` pair
  (`"network":"snap","account_id":"100"` in a serialized row);
- inside rows of one of their networks (a `network` column, a nested struct's `network` field, or the
  network of a landing source), also by their handles and non-numeric account ids as whole tokens, and by a
  numeric account id only as a whole value: a JSON string `"100"`, the number of an id field
  (`"user_id": 100`), or a whole field of a delimited line (`100 7 1341100972 RT`).

A rows's `network` sets the scope for its fields, and a struct's `network` field for the struct's fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, functions as F, types as T

REDACTED = "[erased]"
# A token boundary: identifiers are matched whole, so erasing id 12 leaves 123 alone.
_WORD = r"[\p{L}\p{N}_]"
_IS_NUMERIC = re.compile(r"\d+")


def _alternation(values: Iterable[str]) -> str | None:
    """A non-capturing group of the escaped values, longest first; None when there are none (an empty
    group would match everywhere)."""
    ordered = sorted({v for v in values if v}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(v) for v in ordered) + ")" if ordered else None


def _token(values: Iterable[str]) -> str | None:
    group = _alternation(values)
    return rf"(?<!{_WORD}){group}(?!{_WORD})" if group else None


def _any_of(*forms: str | None) -> str | None:
    present = [form for form in forms if form]
    return "(?i)" + "|".join(present) if present else None


def token_pattern(identifiers: Iterable[str]) -> str:
    """A regex (Java and Python alike, see python_pattern) matching any of `identifiers` as a whole token,
    case-insensitively."""
    pattern = _any_of(_token(identifiers))
    if pattern is None:
        raise ValueError("no identifiers to match")
    return pattern


def python_pattern(pattern: str) -> re.Pattern:
    """A pattern of this module for Python's re, which spells the letter and digit classes differently."""
    return re.compile(pattern.replace(_WORD, r"\w"))


@dataclass(frozen=True)
class PersonNames:
    """One person's identifiers: person ids (current and pre-link), accounts and handles per network."""

    person_ids: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]  # (network, account_id); '@handle' ids included
    handles: tuple[tuple[str, str], ...]  # (network, handle without '@')

    @classmethod
    def of(cls, person_id: str, accounts: Iterable[tuple[str, str]], handles: Iterable[tuple[str, str]]) -> PersonNames:
        """The names of a person and their accounts: an account that was its own person before a link
        (`twitter:123`) left history under that id; an account known by handle only has the id `@<handle>`."""
        accounts = set(accounts)
        handles = {(network, handle.lstrip("@")) for network, handle in handles if handle.lstrip("@")}
        handles |= {(network, account_id.lstrip("@")) for network, account_id in accounts if account_id.startswith("@")}
        accounts |= {(network, "@" + handle.lower()) for network, handle in handles}
        person_ids = {person_id} | {f"{network}:{account_id}" for network, account_id in accounts}
        return cls(tuple(sorted(person_ids)), tuple(sorted(accounts)), tuple(sorted(handles)))

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(sorted({network for network, _ in self.accounts} | {network for network, _ in self.handles}))

    def _numeric_ids(self) -> set[str]:
        return {account_id for _, account_id in self.accounts if _IS_NUMERIC.fullmatch(account_id)}

    def _textual(self) -> set[str]:
        """Handles and non-numeric account ids (without '@'): distinctive strings, matched as tokens."""
        ids = {account_id.lstrip("@") for _, account_id in self.accounts if not _IS_NUMERIC.fullmatch(account_id)}
        return ids | {handle for _, handle in self.handles}

    def _pairs(self) -> str | None:
        """An account as the (network, account_id) pair of a serialized row or struct, any scope."""
        by_network: dict[str, set[str]] = {}
        for network, account_id in self.accounts:
            by_network.setdefault(network, set()).add(account_id)
        forms = [f'"network":"{re.escape(network)}","account_id":"{_alternation(ids)}"' for network, ids in by_network.items()]
        return "(?:" + "|".join(sorted(forms)) + ")" if forms else None

    # -- patterns: Java regexes (python_pattern converts them) ---------------------------------------------
    @property
    def anywhere(self) -> str:
        """Person ids as tokens: what names the person in a value of any network."""
        return _any_of(_token(self.person_ids))

    @property
    def serialized_anywhere(self) -> str:
        """A serialized row or struct (to_json) of any network naming the person."""
        return _any_of(_token(self.person_ids), self._pairs())

    @property
    def value_in_scope(self) -> str:
        """One string value of the person's networks that names them (matches are what redaction replaces)."""
        numeric = _alternation(self._numeric_ids())
        return _any_of(rf"^{numeric}$" if numeric else None, _token({*self.person_ids, *self._textual()}))

    @property
    def json_in_scope(self) -> str:
        """A JSON text (a landed line, a serialized row) of the person's networks that names them."""
        numeric = _alternation(self._numeric_ids())
        return _any_of(
            f'"{numeric}"' if numeric else None,
            rf'"(?:[A-Za-z_]*_)?id(?:_str)?"\s*:\s*{numeric}(?![0-9.])' if numeric else None,
            _token({*self.person_ids, *self._textual()}),
            self._pairs(),
        )

    @property
    def fields_in_scope(self) -> str:
        """A delimited line (a SNAP edge list, CSV) of the person's networks that names them."""
        numeric = _alternation(self._numeric_ids())
        return _any_of(rf"(?<![^\s,;|]){numeric}(?![^\s,;|])" if numeric else None, _token({*self.person_ids, *self._textual()}))

    @property
    def link_line(self) -> str:
        """An identity_links line (JSON or CSV, any network) naming the person: their person id, or one of
        their accounts with its network beside it."""
        pairs = []
        for network, account_id in self.accounts:
            separator = r'(?:"?\s*[,;\t|]\s*"?|"\s*,\s*"account_id"\s*:\s*")'
            pairs.append(rf"(?<!{_WORD}){re.escape(network)}{separator}{re.escape(account_id)}(?!{_WORD})")
        return _any_of(_token(self.person_ids), *pairs)

    @property
    def in_text(self) -> str:
        """A page or text of any network (a report, a Data Docs page): person ids, handles and non-numeric
        account ids as tokens. A bare number there is a count or a size as often as an account."""
        return _any_of(_token({*self.person_ids, *self._textual()}))

    @property
    def free_text(self) -> str:
        """Texts kept beside a request (a reference, an origin): every identifier as a whole token."""
        return token_pattern({*self.person_ids, *self._textual(), *self._numeric_ids()})

    @property
    def log_parameters(self) -> str:
        """Parameters recorded in a table's commit log (a replaceWhere predicate naming a landed file): every
        identifier as a token, numeric ids only as a quoted SQL or JSON value."""
        numeric = _alternation(self._numeric_ids())
        return _any_of(rf"""(?<=['"]){numeric}(?=['"])""" if numeric else None, _token({*self.person_ids, *self._textual()}))

    # -- Spark columns ---------------------------------------------------------------------------------------
    def in_networks(self, network: Column) -> Column:
        return F.coalesce(network.isin(list(self.networks)), F.lit(False)) if self.networks else F.lit(False)

    def names_row(self, frame: DataFrame, in_scope: Column) -> Column:
        """`frame`'s row names the person (see the module docstring); `in_scope`: the row is of their networks."""
        serialized = F.to_json(F.struct(*[F.col(name) for name in frame.columns]))
        return F.when(in_scope, serialized.rlike(self.json_in_scope)).otherwise(serialized.rlike(self.serialized_anywhere))

    def names_line(self, line: Column, in_scope: Column, is_link_line: Column) -> Column:
        """A landed line naming the person: identity links by pair, lines of their networks by JSON or field
        form (a line starting with '{' or '[' is JSON), other networks' lines never."""
        text = F.ltrim(line)
        is_json = text.startswith("{") | text.startswith("[")
        named = (
            F.when(is_link_line, line.rlike(self.link_line))
            .when(in_scope & is_json, line.rlike(self.json_in_scope))
            .when(in_scope, line.rlike(self.fields_in_scope))
            .otherwise(F.lit(False))
        )
        return F.coalesce(named, F.lit(False))

    def redacted(self, column: Column, dtype: T.DataType, in_scope: Column) -> Column:
        """`column` with what names the person replaced by REDACTED in every string inside it (nested too).
        A struct with a `network` field is in scope when that network is one of the person's."""
        if isinstance(dtype, T.StringType):
            return F.when(in_scope, F.regexp_replace(column, self.value_in_scope, REDACTED)).otherwise(
                F.regexp_replace(column, self.anywhere, REDACTED)
            )
        if isinstance(dtype, T.ArrayType):
            return F.transform(column, lambda element: self.redacted(element, dtype.elementType, in_scope))
        if isinstance(dtype, T.MapType):
            keyed = F.transform_keys(column, lambda k, _: self.redacted(k, dtype.keyType, in_scope))
            return F.transform_values(keyed, lambda _, v: self.redacted(v, dtype.valueType, in_scope))
        if isinstance(dtype, T.StructType):
            names = [f.name for f in dtype.fields]
            scope = self.in_networks(column["network"]) if "network" in names else in_scope
            return F.when(
                column.isNotNull(),
                F.struct(*[self.redacted(column[f.name], f.dataType, scope).alias(f.name) for f in dtype.fields]),
            )
        return column

    def with_redacted_columns(self, frame: DataFrame, in_scope: Column, keep: Iterable[str] = ()) -> DataFrame:
        """Every column but `keep` redacted."""
        kept = set(keep)
        return frame.select(
            *[
                F.col(f.name) if f.name in kept else self.redacted(F.col(f.name), f.dataType, in_scope).alias(f.name)
                for f in frame.schema.fields
            ]
        )


def redacted_json(document: object, redact: Callable[[str], str], keys: Iterable[str] | None = None) -> object:
    """A parsed JSON document with `redact` applied to its string values (object keys too), under the
    top-level `keys` only when given: the document stays valid JSON, numbers and structure untouched."""

    def walk(value: object) -> object:
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {redact(k): walk(v) for k, v in value.items()}
        return value

    if keys is None or not isinstance(document, dict):
        return walk(document)
    return {k: walk(v) if k in set(keys) else v for k, v in document.items()}


def redacted_json_text(text: str, redact: Callable[[str], str], keys: Iterable[str] | None = None) -> str:
    """`text` (one JSON document) with its string values redacted; unchanged text when nothing matched."""
    document = json.loads(text)
    redacted = redacted_json(document, redact, keys)
    return text if redacted == document else json.dumps(redacted, indent=2 if "\n" in text.strip() else None)
