"""The Cypher library: one statement per ``.cypher`` file, with a header.

Header lines start with ``//``::

    // name: count_nodes
    // purpose: node counts per label
    // params: (none) | $a, $b
    // returns: label, count

``query(name)`` returns the parsed :class:`Query`; the store runs it by name.
Labels and relationship types appear only as literals in these files (which
are constants of :mod:`ecosystem.model`); user values are always parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import pathlib
import re

HERE = pathlib.Path(__file__).parent
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_WRITE = re.compile(r"\b(CREATE|MERGE|SET|DELETE|REMOVE|DROP|FOREACH)\b", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Query:
    name: str
    purpose: str
    params: tuple[str, ...]
    returns: tuple[str, ...]
    text: str
    path: pathlib.Path

    def used_params(self) -> set[str]:
        body = "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("//"))
        return set(_PARAM.findall(body))

    @property
    def read_only(self) -> bool:
        """No clause that writes (checked on the statement without its comments)."""
        body = "\n".join(line for line in self.text.splitlines() if not line.lstrip().startswith("//"))
        return not _WRITE.search(body)

    def check_params(self, given: dict) -> None:
        missing = [p for p in self.params if p not in given]
        if missing:
            raise ValueError(f"query {self.name} needs parameter(s): {', '.join('$' + p for p in missing)}")


def _parse(path: pathlib.Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("//"):
            break
        k, _, v = s[2:].partition(":")
        header[k.strip().lower()] = v.strip()
    params = tuple(p.strip().lstrip("$") for p in header.get("params", "").split(",")
                   if p.strip() and p.strip() != "(none)")
    returns = tuple(r.strip() for r in header.get("returns", "").split(",") if r.strip() and r.strip() != "(nothing)")
    return Query(header.get("name", path.stem), header.get("purpose", ""), params, returns, text, path)


_NAME = re.compile(r"[a-z][a-z0-9_]*")


@functools.lru_cache(maxsize=None)
def query(name: str) -> Query:
    """The query of that name from this folder: a bare name only (never a path)."""
    if not isinstance(name, str) or not _NAME.fullmatch(name) or not (HERE / f"{name}.cypher").is_file():
        raise KeyError(f"no query named {name!r}: a query is named by its file in queries/ without .cypher "
                       "(see `ecomap query --list`)")
    return _parse(HERE / f"{name}.cypher")


def names() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.cypher"))
