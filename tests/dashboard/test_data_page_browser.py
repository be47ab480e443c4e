"""The data page in a real headless browser: an upload named from its file, replacing a source only after the
person confirms (seeing what goes), and taking a source back out (seeing what goes first).

The uploads add organisations of their own to the demo store and are unloaded again, so the demo is as it was.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest
from support import ARGS, CHROMIUM, serving

WAIT = 60_000
FIRST = b"id,name,sector\nGB-UPLOAD-1,Upload Test One,vcse\n"
SECOND = b"id,name,sector\nGB-UPLOAD-1,Upload Test One,vcse\nGB-UPLOAD-2,Upload Test Two,private\n"
SOURCE = "organisations.csv"

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def page(app_over_demo, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    shots = pathlib.Path(os.environ.get("ECOMAP_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    shots.mkdir(parents=True, exist_ok=True)
    with serving(app_over_demo.server) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        pg = browser.new_page(viewport={"width": 1300, "height": 1000})
        pg.set_default_timeout(WAIT)
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.base, pg.shots = base, shots  # type: ignore[attr-defined]
        yield pg
        browser.close()


def _upload(page, content: bytes):
    page.set_input_files("#data-upload input[type=file]",
                         files=[{"name": SOURCE, "mimeType": "text/csv", "buffer": content}])


def _names(store) -> list[str]:
    from ecosystem import model as m

    with store.session() as s:
        rows = s.run(f"MATCH (o:{m.ORGANISATION}) WHERE o.id STARTS WITH $prefix RETURN o.id AS id",
                     {"prefix": "GB-UPLOAD"}).data()
    return sorted(r["id"] for r in rows)


def test_an_upload_replaces_a_source_only_when_the_person_confirms(page, demo_store):
    from ecosystem import sources

    before = demo_store.counts()
    page.goto(page.base + "/data")
    page.wait_for_selector("#data-store")

    # a first upload with no source name: named from its file, loaded at once
    _upload(page, FIRST)
    page.wait_for_selector("#data-load-result")
    assert f"Loaded source “{SOURCE}”" in page.inner_text("#data-load-result")
    assert _names(demo_store) == ["GB-UPLOAD-1"]

    # a second file of the same name: nothing changes until the person answers
    _upload(page, SECOND)
    # drawn, with its text (read once it is there: clearing the upload runs a callback that does nothing)
    page.wait_for_function("() => ((document.querySelector('#data-replace-question') || {}).innerText || '')"
                           ".includes('Nothing has been changed yet')")
    question = page.inner_text("#data-replace-question")
    assert f"Source “{SOURCE}” is already loaded" in question and "Nothing has been changed yet" in question
    cells = page.eval_on_selector_all("#data-replace-table tbody tr", "rows => rows.map(r => r.innerText)")
    assert cells == ["organisations\t1\t2"]  # one organisation goes, two come
    page.screenshot(path=str(page.shots / "data-replace-question.png"), full_page=True)
    assert _names(demo_store) == ["GB-UPLOAD-1"]
    page.click("#data-replace-cancel")
    page.wait_for_function("() => document.querySelector('#data-upload-result').innerText.includes('Nothing was "
                           "loaded')")
    assert _names(demo_store) == ["GB-UPLOAD-1"]

    # asked again, and confirmed
    _upload(page, SECOND)
    page.wait_for_function("() => (document.querySelector('#data-replace-question') || {}).innerText")  # drawn, with its text
    page.click("#data-replace")
    page.wait_for_selector("#data-load-result.alert-success")
    assert "2 organisations" in page.inner_text("#data-load-result")
    assert _names(demo_store) == ["GB-UPLOAD-1", "GB-UPLOAD-2"]
    [rec] = [r for r in sources.list_sources(demo_store) if r["source"] == SOURCE]
    assert rec["runs"] == 2

    # take it back out: what goes is shown first, and nothing goes until confirmed
    page.wait_for_function("s => document.querySelector('#data-body').innerText.includes(s)", arg=SOURCE)
    page.click("#data-unload-source")
    page.click(f"[role=option]:has-text('{SOURCE}')")
    page.click("#data-unload-preview")
    page.wait_for_selector("#data-unload-question")
    assert page.eval_on_selector_all("#data-unload-table tbody tr", "rows => rows.map(r => r.innerText)") == \
        ["Organisation\tnode\t2"]
    page.screenshot(path=str(page.shots / "data-unload-question.png"), full_page=True)
    assert _names(demo_store) == ["GB-UPLOAD-1", "GB-UPLOAD-2"]
    page.click("#data-unload-confirm")
    page.wait_for_function("() => document.querySelector('#data-unload-result').innerText.includes('Unloaded')")
    assert _names(demo_store) == []
    assert SOURCE not in [r["source"] for r in sources.list_sources(demo_store)]
    # the page's list of sources (kept per data version) follows: the unload is a new version
    page.wait_for_function("s => !document.querySelector('#data-body').innerText.includes(s)", arg=SOURCE)
    assert demo_store.counts() == before  # the demo is exactly as it was
    page.screenshot(path=str(page.shots / "data-after-unload.png"), full_page=True)
    assert page.errors == []
