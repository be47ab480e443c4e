"""The report as Markdown: the same sections and numbers as the HTML, without the charts."""

from __future__ import annotations

from typing import Any

from ecosystem.report.build import Report
from ecosystem.report.content import Table, sections, subtitle, title


def _md(s: Any) -> str:
    """Text safe inside a Markdown table cell or line: HTML characters as entities (as the workshop
    minutes do), so a name or note can never become markup when the file is rendered."""
    t = str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = t.replace("\\", "\\\\").replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
    return t.replace("\r", " ").replace("\n", " ")


def _table(t: Table) -> list[str]:
    if not t.total_rows:
        return [_md(t.empty), ""]
    lines = ["| " + " | ".join(_md(c) for c in t.columns) + " |",
             "|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.columns))) + "|"]
    for r in t.rows:
        lines.append("| " + " | ".join(_md(c[0] if isinstance(c, tuple) else c) for c in r) + " |")
    if t.total_rows > len(t.rows):
        lines += ["", f"_Showing {len(t.rows)} of {t.total_rows} rows; every row is in {t.csv or 'the CSV files'}._"]
    return lines + [""]


def document(heading: str, sub: str, secs, tail: str) -> str:
    """Sections as one Markdown document (GitHub-flavoured tables); every text escaped."""
    out = [f"# {_md(heading)}", "", _md(sub), ""]
    for s in secs:
        out += [f"## {_md(s.title)}", ""]
        for kind, value in s.blocks:
            if kind == "p":
                out += [_md(value), ""]
            elif kind == "h":
                out += [f"### {_md(value)}", ""]
            elif kind == "list":
                out += [f"- {_md(i)}" for i in value] + [""]
            elif kind == "table":
                out += _table(value)
    out += [tail, ""]
    return "\n".join(out)


def render_md(report: Report) -> str:
    """The report as one Markdown document (GitHub-flavoured tables)."""
    doc = report.doc
    return document(title(doc), subtitle(doc), sections(doc, figures=False), "_Maps and charts are in report.html._")
