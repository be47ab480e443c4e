"""Writing a report folder: each file replaced atomically, ``report.json`` last.

A reader (the dashboard, a web server, the next scheduled run) never sees
a half-written file: each one is written beside its final name and moved
into place. ``report.json`` is written after everything else, so its
presence means the run finished.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import shutil
import subprocess
import tempfile
from typing import IO, Any, Callable, Iterator

import orjson

from ecosystem.analysis._json import orjson_default
from ecosystem.report.build import Report
from ecosystem.report.compare import compare

log = logging.getLogger(__name__)

FORMATS = ("html", "md", "csv", "pdf")
#: environment variable naming the Chromium (or Chrome) executable used for PDF
CHROMIUM_ENV = "ECOMAP_CHROMIUM"
_CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PDF_TIMEOUT = 180


class PdfUnavailable(RuntimeError):
    """The PDF could not be made; the message says why."""


@contextlib.contextmanager
def replacing(path: pathlib.Path | str, mode: str = "w") -> Iterator[IO]:
    """A file to write that replaces ``path`` atomically once the block ends (and is dropped if it fails).

    ``mode``: ``"w"`` (UTF-8 text, newlines as written) or ``"wb"``.
    """
    path = pathlib.Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open(mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: pathlib.Path, text: str | bytes) -> pathlib.Path:
    """Replace ``path`` atomically with ``text`` (UTF-8; bytes are written as they are)."""
    with replacing(path, "wb" if isinstance(text, bytes) else "w") as f:
        f.write(text)
    return pathlib.Path(path)


def find_chromium() -> str | None:
    named = os.environ.get(CHROMIUM_ENV)
    if named:
        return shutil.which(named) or (named if os.access(named, os.X_OK) else None)
    for name in _CHROMIUMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def write_pdf(html_path: pathlib.Path, pdf_path: pathlib.Path, *, timeout: int = PDF_TIMEOUT) -> pathlib.Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium; raise :class:`PdfUnavailable` saying why."""
    exe = find_chromium()
    if exe is None:
        raise PdfUnavailable(f"no Chromium or Chrome found to print the PDF (looked for {', '.join(_CHROMIUMS)} on "
                             f"PATH; set {CHROMIUM_ENV} to its path, e.g. apt-get install chromium). The other "
                             f"formats were written.")
    pdf_path = pathlib.Path(pdf_path)
    tmp_pdf = pdf_path.with_name(f".{pdf_path.name}.{os.getpid()}.tmp")
    with tempfile.TemporaryDirectory(prefix="ecomap-chromium-") as profile:
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               "--disable-background-networking", "--no-pdf-header-footer", f"--user-data-dir={profile}",
               f"--print-to-pdf={tmp_pdf}", pathlib.Path(html_path).resolve().as_uri()]
        log.info("printing the PDF: %s", " ".join(cmd))
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            tmp_pdf.unlink(missing_ok=True)
            raise PdfUnavailable(f"{exe} did not finish printing the PDF within {timeout} s") from None
        except OSError as e:
            raise PdfUnavailable(f"could not run {exe} to print the PDF: {e}") from None
    ok = tmp_pdf.exists() and tmp_pdf.stat().st_size > 0 and tmp_pdf.read_bytes()[:5] == b"%PDF-"
    if proc.returncode != 0 or not ok:
        tmp_pdf.unlink(missing_ok=True)
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise PdfUnavailable(f"{exe} exited {proc.returncode} without writing a PDF"
                             + (f": {' / '.join(tail)}" if tail else ""))
    os.replace(tmp_pdf, pdf_path)
    return pdf_path


def attach_previous(report: Report, previous: dict[str, Any], *, source: str | None = None) -> dict[str, Any]:
    """Compare with an earlier report document and keep the changes in ``report.doc``."""
    doc = report.doc
    changes = compare(doc, previous)
    doc["changes"] = changes
    doc["previous"] = {**changes["previous"], "source": source}
    for kind, table in (previous.get("names") or {}).items():  # name what has left since
        for code, name in table.items():
            doc["names"].setdefault(kind, {}).setdefault(code, name)
    return changes


def write_documents(report: Report, out: str | pathlib.Path, formats: tuple[str, ...], *, stem: str,
                    allowed: tuple[str, ...], render_html: Callable[[Report], str], render_md: Callable[[Report], str],
                    tables: Callable[[Report, pathlib.Path], list[pathlib.Path]] | None = None) -> dict[str, Any]:
    """Write a document's files into ``out`` (created if missing): ``<stem>.html``, ``.md``, the tables
    (``csv``: ``tables(report, folder)``), ``.pdf`` as asked, and ``<stem>.json`` last.

    Returns ``{"files": [paths], "pdf_error": str or None}``. A PDF that
    cannot be made does not stop the other files or the JSON. Each file is
    replaced atomically.
    """
    unknown = [f for f in formats if f not in allowed]
    if unknown:
        raise ValueError(f"unknown format(s): {', '.join(unknown)}; choose from {', '.join(allowed)}")
    d = pathlib.Path(out)
    d.mkdir(parents=True, exist_ok=True)
    files: list[pathlib.Path] = []
    pdf_error = None
    html = render_html(report) if ("html" in formats or "pdf" in formats) else None
    if "html" in formats:
        files.append(write_text(d / f"{stem}.html", html))
    if "md" in formats:
        files.append(write_text(d / f"{stem}.md", render_md(report)))
    if "csv" in formats and tables is not None:
        files += tables(report, d)
    if "pdf" in formats:
        try:
            if "html" in formats:
                files.append(write_pdf(d / f"{stem}.html", d / f"{stem}.pdf"))
            else:
                with tempfile.TemporaryDirectory(prefix="ecomap-report-") as tmp:
                    src = write_text(pathlib.Path(tmp) / f"{stem}.html", html)
                    files.append(write_pdf(src, d / f"{stem}.pdf"))
        except PdfUnavailable as e:
            pdf_error = str(e)
            log.warning("no PDF: %s", e)
    data = orjson.dumps(report.doc, default=orjson_default, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS
                        | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE)
    files.append(write_text(d / f"{stem}.json", data))
    return {"files": [str(f) for f in files], "pdf_error": pdf_error}


def write_report(report: Report, out: str | pathlib.Path, formats: tuple[str, ...] = ("html", "md", "csv")
                 ) -> dict[str, Any]:
    """Write the report's files into ``out`` (created if missing).

    Returns ``{"files": [paths], "pdf_error": str or None}``. A PDF that
    cannot be made does not stop the other files or ``report.json``.
    """
    from ecosystem.report.csvs import write_csv
    from ecosystem.report.html import render_html
    from ecosystem.report.markdown import render_md

    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s): {', '.join(unknown)}; choose from {', '.join(FORMATS)}")
    return write_documents(report, out, formats, stem="report", allowed=FORMATS, render_html=render_html,
                           render_md=render_md, tables=write_csv)
