"""Where a lake lives: its tables under a URI, its operational files in a local folder.

A lake is named by a local path or a URI (`file:///srv/lake`, `s3a://bucket/lake`). Spark reads and writes its
Delta tables there through Hadoop's file systems, so any store Hadoop reaches holds them.

Beside the tables a lake keeps operational files: the writer lease, the running night's progress, the nightly
reports, the validation results and Data Docs, the housekeeping marker, executed notebooks. The lease needs what
an object store does not give (an exclusive lock and an atomic create-if-absent), and the validation project is
a folder Great Expectations writes itself, so these live in a local folder, the lake's *ops folder*:
  - for a local lake, the lake's own folder (nothing moves);
  - for an object-store lake, a folder named after its URI (<scheme>/<bucket>/<prefix>) under `[storage] ops_dir`,
    by default under the user's cache, so that lakes never share one. Writers on several machines must share it
    (docs/operations.md#object-store-lakes).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from influence.errors import UsageError

# Schemes a lake may use besides a local path: Hadoop's file systems, with the jar each one needs.
LOCAL_SCHEMES = ("", "file")
OBJECT_STORE_SCHEMES = ("s3a",)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _default_ops_root() -> Path:
    cache = os.environ.get("INFLUENCE_CACHE_DIR", Path.home() / ".cache" / "influence-lakehouse")
    return Path(cache).expanduser() / "lakes"


@dataclass(frozen=True)
class LakeLocation:
    """A lake's tables (`uri`, as Spark takes it) and its ops folder (`ops`, local)."""

    uri: str
    ops: Path

    @classmethod
    def parse(cls, text: str, ops_dir: str = "") -> LakeLocation:
        """The location a `lake` setting names; a UsageError names what is wrong with it. `ops_dir`: the root of
        object-store lakes' ops folders (`[storage] ops_dir`); a local lake is its own ops folder."""
        text = str(text).strip()
        if not text:
            raise UsageError("lake must not be empty")
        match = _SCHEME.match(text)
        scheme = match.group(1).lower() if match else ""
        if scheme == "file":
            parts = urlsplit(text)
            if parts.netloc not in ("", "localhost"):
                raise UsageError(f"lake {text}: a file:// URI names a local folder (file:///PATH), not the host {parts.netloc!r}")
            text = unquote(parts.path)
        if scheme in LOCAL_SCHEMES:
            local = Path(text).expanduser().resolve()
            return cls(str(local), local)
        if scheme not in OBJECT_STORE_SCHEMES:
            raise UsageError(
                f"lake {text}: the scheme {scheme}:// is not supported; use a local path, file:// or "
                f"{', '.join(s + '://' for s in OBJECT_STORE_SCHEMES)}"
            )
        parts = urlsplit(text)
        if not parts.netloc:
            raise UsageError(f"lake {text}: an {scheme}:// lake names its bucket ({scheme}://BUCKET/PREFIX)")
        if parts.query or parts.fragment:
            raise UsageError(f"lake {text}: a lake URI has no query or fragment")
        segments = [part for part in parts.path.split("/") if part]
        if any(part in (".", "..") for part in segments):
            # the prefix also names the lake's ops folder, which must stay under the ops root
            raise UsageError(f"lake {text}: a lake URI's prefix has no '.' or '..' segment")
        prefix = "/".join(segments)
        uri = f"{scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
        ops_root = Path(ops_dir).expanduser().resolve() if ops_dir else _default_ops_root()
        ops = ops_root / scheme / parts.netloc / prefix
        return cls(uri, ops)

    @classmethod
    def of(cls, lake: LakeLocation | Path | str) -> LakeLocation:
        """`lake` as a location: a local path (tests, tools) is its own ops folder."""
        return lake if isinstance(lake, LakeLocation) else cls.parse(str(lake))

    @property
    def scheme(self) -> str:
        match = _SCHEME.match(self.uri)
        return match.group(1).lower() if match else ""

    @property
    def is_local(self) -> bool:
        return self.scheme in LOCAL_SCHEMES

    def join(self, *parts: str) -> str:
        """The URI (or local path) of a folder or file under the lake's root, as Spark and Hadoop take it."""
        return "/".join([self.uri.rstrip("/"), *parts])

    @property
    def local_root(self) -> Path:
        """The lake's folder, for work that only a local lake allows."""
        if not self.is_local:
            raise UsageError(f"lake {self.uri} is not on a local file system")
        return Path(self.uri)

    def __str__(self) -> str:
        return self.uri


# What functions taking a lake accept: a location, or a local path (tests, tools, notebooks).
LakeLike = LakeLocation | Path | str


def ops_folder(lake: LakeLike) -> Path:
    """The lake's local folder of operational files (see the module docstring)."""
    return LakeLocation.of(lake).ops
