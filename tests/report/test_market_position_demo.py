"""The market position statement of the bundled Trafford demo, its figures recomputed here from the raw CSVs.

The demo is loaded once for the module and the statement written once
(HTML, Markdown, JSON); each test checks one part of it against figures
worked out in this file from ecosystem/demo_data/trafford with pandas, by
SPEC §5's definitions (spread by population, active on the date, cliffs
with no later flow from the same funder to the same recipient).
"""

from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import pytest

from ecosystem import cli
from ecosystem import workshop as ws
from ecosystem.demo import DEMO_AS_OF, DEMO_DIR, DEMO_PLACE
from ecosystem.model import add_months
from ecosystem.pipeline import load
from ecosystem.report.content import people, pct

AS_OF = DEMO_AS_OF
NAMES_OF = {"vcse": "VCSE", "private": "Private", "public": "Public", "other": "Other", "unknown": "Not recorded"}


def _csv(name: str) -> pd.DataFrame:
    path = DEMO_DIR / f"{name}.csv"
    if not path.exists():
        return pd.DataFrame()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _date(s: str) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def _active(start: str, end: str, on: dt.date) -> bool:
    a, b = _date(start), _date(end)
    return (a is None or a <= on) and (b is None or on <= b)


@pytest.fixture(scope="module")
def raw():
    t = {n: _csv(n) for n in ("places", "categories", "organisations", "services", "needs", "funding",
                              "procurements")}
    places = t["places"]
    parents = dict(zip(places["code"], places["parent"]))
    children = set(places["parent"]) - {""}
    pop = {c: float(p) if p else None for c, p in zip(places["code"], places["population"])}

    def leaves_of(code):
        inside = [c for c in places["code"] if _under(c, code, parents)]
        return [c for c in inside if c not in children] or [code]

    t.update(parents=parents, pop=pop, leaves_of=leaves_of, leaves=leaves_of(DEMO_PLACE))
    return t


def _under(code, top, parents):
    while code:
        if code == top:
            return True
        code = parents.get(code, "")
    return False


def _spread(amount: float, leaves: list[str], pop) -> dict[str, float]:
    pops = [pop.get(x) for x in leaves]
    if any(p is None for p in pops):
        return {x: amount / len(leaves) for x in leaves}
    total = sum(pops)
    return {x: amount * p / total for x, p in zip(leaves, pops)}


def coverage(raw, on: dt.date) -> pd.DataFrame:
    """Per (ward, category): demand, supply, active services — from the raw tables."""
    demand: dict[tuple, float] = {}
    for p, c, n in zip(raw["needs"]["place"], raw["needs"]["category"], raw["needs"]["people"]):
        for leaf, v in _spread(float(n), raw["leaves_of"](p), raw["pop"]).items():
            demand[leaf, c] = demand.get((leaf, c), 0.0) + v
    supply: dict[tuple, float] = {}
    present: dict[tuple, set] = {}
    s = raw["services"]
    for sid, prov, cat, areas, cap, a, b in zip(s["id"], s["provider"], s["category"], s["areas"], s["capacity"],
                                                s["start"], s["end"]):
        if not _active(a, b, on):
            continue
        leaves = sorted({x for area in areas.split(";") for x in raw["leaves_of"](area)})
        for leaf, v in _spread(float(cap) if cap else 0.0, leaves, raw["pop"]).items():
            supply[leaf, cat] = supply.get((leaf, cat), 0.0) + v
            present.setdefault((leaf, cat), set()).add(prov)
    keys = set(demand) | set(present)
    rows = [{"place": k[0], "category": k[1], "demand": demand.get(k, 0.0), "supply": supply.get(k, 0.0),
             "services": k in present} for k in keys]
    df = pd.DataFrame(rows)
    df["unmet"] = (df["demand"] - df["supply"]).clip(lower=0)
    return df


def providers(raw, on: dt.date, cat: str) -> dict[str, float]:
    """provider -> supply in the place, for active services of ``cat``."""
    out: dict[str, float] = {}
    s = raw["services"]
    for prov, c, cap, a, b in zip(s["provider"], s["category"], s["capacity"], s["start"], s["end"]):
        if c == cat and _active(a, b, on):
            out[prov] = out.get(prov, 0.0) + (float(cap) if cap else 0.0)
    return out


def _months_at_least(start: dt.date, end: dt.date | None, months: int) -> bool:
    return end is None or end + dt.timedelta(days=1) >= add_months(start, months)


@pytest.fixture(scope="module")
def statement(graph_store, tmp_path_factory):
    graph_store.wipe()
    result = load(graph_store, [DEMO_DIR], fmt="template", source="trafford-demo")
    assert result["status"] == "loaded"
    links = ws.create(graph_store, "Market engagement day", DEMO_PLACE, as_of=AS_OF)
    wid = links.workshop.id
    ws.add_action(graph_store, wid, "Co-design a youth offer for the north of the borough", owner="Youth commissioner",
                  due="2027-03-31", role=ws.PRESENTER, about=ws.targets([("category", "YOUTH")]))
    ws.add_action(graph_store, wid, "Move small grants to three-year terms", owner="Head of commissioning",
                  role=ws.PRESENTER)
    out = tmp_path_factory.mktemp("mps")
    assert cli.main(["report", "--kind", "market-position", "--place", DEMO_PLACE, "--as-of", AS_OF.isoformat(),
                     "--format", "html,md", "--out", str(out)]) == 0
    import json

    doc = json.loads((out / "market-position.json").read_text(encoding="utf-8"))
    md = (out / "market-position.md").read_text(encoding="utf-8")
    sections = {p.split("\n", 1)[0]: p for p in md.split("\n## ")[1:]}
    yield {"doc": doc, "md": md, "sections": sections, "html": (out / "market-position.html").read_text("utf-8"),
           "out": out}
    graph_store.wipe()


def _md(text: str) -> str:
    """As the Markdown shows text: HTML characters as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _market(statement, cat):
    return next(mk for mk in statement["doc"]["markets"] if mk["category"] == cat)


def _section(statement, raw, cat):
    name = dict(zip(raw["categories"]["code"], raw["categories"]["name"]))[cat]
    return statement["sections"][name]


def test_every_category_with_need_or_provision_has_its_section(statement, raw):
    cov = coverage(raw, AS_OF)
    cats = set(cov.loc[(cov["demand"] > 0) | cov["services"], "category"])
    names = dict(zip(raw["categories"]["code"], raw["categories"]["name"]))
    doc = statement["doc"]
    assert set(doc["categories"]) == cats
    assert doc["categories"] == sorted(cats, key=lambda c: names[c].casefold())  # by name
    for c in cats:
        sec = statement["sections"][names[c]]
        for heading in ("Need now and its trend", "Supply and gaps by area", "Who provides",
                        "How the money flows, and how secure it is", "What ends soon", "What is being procured",
                        "Commissioning intentions"):
            assert f"### {heading}" in sec, (c, heading)
    assert "Methods and data" in statement["sections"] and "About this statement" in statement["sections"]


def test_need_supply_and_gaps_by_ward(statement, raw):
    cov = coverage(raw, AS_OF)
    ward_names = dict(zip(raw["places"]["code"], raw["places"]["name"]))
    for cat, grp in cov.groupby("category"):
        t = _market(statement, cat)["totals"]
        assert t["demand"] == pytest.approx(grp["demand"].sum(), abs=1e-6)
        assert t["supply"] == pytest.approx(grp["supply"].sum(), abs=1e-6)
        assert t["unmet"] == pytest.approx(grp["unmet"].sum(), abs=1e-6)
        need = grp[grp["demand"] > 0]
        assert t["unserved"] == int((~need["services"]).sum())
        assert t["under"] == int((need["services"] & (need["supply"] < need["demand"])).sum())
        sec = _section(statement, raw, cat)
        if t["demand"] > 0:
            assert f"About {round(grp['demand'].sum()):,} people a year in Trafford need" in sec
        unserved = int((~need["services"]).sum())
        under = int((need["services"] & (need["supply"] < need["demand"])).sum())
        if unserved:
            assert f"{unserved} of the {len(need)} areas with recorded need" in sec
        elif len(need):
            assert f"Every one of the {len(need)} areas with recorded need has an active service" in sec
        assert (f"{under} {'is' if under == 1 else 'are'} under-served" if under else "none is under-served") in sec
        worst = need.sort_values("unmet", ascending=False).iloc[0] if len(need) else None
        if worst is not None and worst["unmet"] > 0:  # the largest gap's row, by ward name
            assert f"| {_md(ward_names[worst['place']])} | {people(worst['demand'])} | {people(worst['supply'])} | " \
                   f"{people(worst['unmet'])} |" in sec


def test_who_provides(statement, raw):
    sector = dict(zip(raw["organisations"]["id"], raw["organisations"]["sector"]))
    org_names = dict(zip(raw["organisations"]["id"], raw["organisations"]["name"]))
    for cat in statement["doc"]["categories"]:
        mk = _market(statement, cat)
        supply = providers(raw, AS_OF, cat)
        assert {p["provider"] for p in mk["providers"]} == set(supply)
        total = sum(supply.values())
        by_sector: dict[str, list] = {}
        for p, v in supply.items():
            by_sector.setdefault(sector.get(p) or "unknown", []).append(v)
        got = {r["sector"]: r for r in mk["diversity"]}
        assert set(got) == set(by_sector)
        for s, vals in by_sector.items():
            assert got[s]["providers"] == len(vals)
            if total > 0:
                assert got[s]["share"] == pytest.approx(sum(vals) / total, abs=1e-4)
        if total > 0:
            hhi = sum((100 * v / total) ** 2 for v in supply.values())
            assert mk["concentration"]["hhi"] == pytest.approx(hhi, abs=0.5)
            sec = _section(statement, raw, cat)
            top = max(supply.values())
            for p in (p for p, v in supply.items() if v == top):  # the largest provider(s) listed by name
                assert f"| {_md(org_names[p])} | {NAMES_OF[sector[p] or 'unknown']} |" in sec
            assert ("The market is concentrated" if hhi > 2500 else "The market is not concentrated") in sec
    # the demo has more than one sector among its providers
    assert len({r["sector"] for mk in statement["doc"]["markets"] for r in mk["diversity"]}) >= 2


def test_money_and_its_security_per_currency(statement, raw):
    f = raw["funding"]
    active = f[[_active(a, b, AS_OF) for a, b in zip(f["start"], f["end"])]]
    cur = active["currency"].replace("", "GBP") if "currency" in active else pd.Series(["GBP"] * len(active))
    doc = statement["doc"]
    totals = {r["currency"]: r for r in doc["funding_security"] if r["funder"] is None}
    assert set(totals) == set(cur)
    for c in set(cur):
        rows = active[cur == c]
        amounts = [decimal.Decimal(a) for a in rows["amount"]]
        total = sum(amounts)
        short = sum(a for a, s, e in zip(amounts, rows["start"], rows["end"])
                    if e and _date(e) <= add_months(_date(s), 12))
        multi = sum(a for a, s, e in zip(amounts, rows["start"], rows["end"])
                    if _months_at_least(_date(s), _date(e), 36))
        assert decimal.Decimal(str(totals[c]["amount"])) == total
        assert totals[c]["flows"] == len(rows)
        assert totals[c]["short_term_share"] == pytest.approx(float(short / total), abs=1e-4)
        assert totals[c]["multi_year_share"] == pytest.approx(float(multi / total), abs=1e-4)
        words = statement["sections"]["How the money flows across the place"]
        assert f"{pct(float(short / total))} of it short-term" in words
        assert f"{pct(float(multi / total))} multi-year" in words
    # the demo has both short-term and multi-year money, so both figures say something
    g = totals["GBP"]
    assert 0 < g["short_term_share"] < 1 and 0 < g["multi_year_share"] < 1


def test_what_ends_soon(statement, raw):
    f = raw["funding"]
    limit = add_months(AS_OF, 12)
    svc = raw["services"]
    svc_cat = dict(zip(svc["id"], svc["category"]))
    cliffs = set()
    for fid, funder, rec, s, e, service in zip(f["id"], f["funder"], f["recipient"], f["start"], f["end"], f["service"]):
        if not (_active(s, e, AS_OF) and e and AS_OF < _date(e) <= limit):
            continue
        later = [1 for fid2, f2, r2, e2, sv2 in zip(f["id"], f["funder"], f["recipient"], f["end"], f["service"])
                 if fid2 != fid and f2 == funder and r2 == rec and (not service or sv2 == service)
                 and (not e2 or _date(e2) > _date(e))]
        if later:
            continue
        at_risk = [service] if service else [i for i, p, a, b in zip(svc["id"], svc["provider"], svc["start"],
                                                                     svc["end"]) if p == rec and _active(a, b, AS_OF)]
        for sid in at_risk:
            cliffs.add((svc_cat[sid], fid))
    got = {(mk["category"], c["funding"]) for mk in statement["doc"]["markets"] for c in mk["cliffs"]}
    assert got == cliffs and cliffs  # the demo has cliffs within 12 months
    for cat, fid in cliffs:
        row = f[f["id"] == fid].iloc[0]
        assert f"| {row['end']} |" in _section(statement, raw, cat)


def test_what_is_being_procured(statement, raw):
    p = raw["procurements"]
    assert len(p), "the demo has procurements"
    places = set(raw["places"]["code"])
    ahead = p[[bool(s) and _date(s) > AS_OF for s in p["start"]]]
    expected = {}
    based = dict(zip(raw["organisations"]["id"], raw["organisations"]["place"]))
    for pid, cat, pl, buyer in zip(ahead["id"], ahead["category"], ahead["places"], ahead["buyer"]):
        codes = [c for c in pl.split(";") if c]
        if set(codes) & places or (not codes and based.get(buyer) in places):  # no places: a buyer based here
            expected.setdefault(cat, set()).add(pid)
    got = {mk["category"]: {r["procurement"] for r in mk["pipeline"]} for mk in statement["doc"]["markets"]
           if mk["pipeline"]}
    cats = statement["doc"]["categories"]
    assert {c: v for c, v in expected.items() if c in cats} == got
    assert {r["procurement"] for r in statement["doc"]["other_pipeline"]} == \
        {pid for c, v in expected.items() if c not in cats for pid in v}
    for cat, ids in got.items():
        sec = _section(statement, raw, cat)
        for pid in ids:
            title = p.loc[p["id"] == pid, "title"].iloc[0]
            assert _md(title) in sec
        assert f"{len(ids)} procurement{'' if len(ids) == 1 else 's'} expected to start after" in sec
    for cat in set(cats) - set(got):
        assert "No procurement for this kind of support is recorded as starting after" in _section(statement, raw, cat)
    assert got and any(r["gaps"] for v in statement["doc"]["markets"] for r in v["pipeline"])
    assert any(r["cliffs"] for v in statement["doc"]["markets"] for r in v["pipeline"])


def test_trend_matches_the_raw_tables_on_each_date(statement, raw):
    doc = statement["doc"]
    assert doc["dates"] == [add_months(AS_OF, k).isoformat() for k in (-36, -24, -12, 0, 12)]
    for d in doc["dates"]:
        cov = coverage(raw, dt.date.fromisoformat(d))
        for cat in doc["categories"]:
            grp = cov[cov["category"] == cat]
            row = next(r for r in _market(statement, cat)["series"] if r["as_of"] == d)
            assert row["demand"] == pytest.approx(grp["demand"].sum(), abs=1e-6), (cat, d)
            assert row["supply"] == pytest.approx(grp["supply"].sum(), abs=1e-6), (cat, d)
            assert row["unmet"] == pytest.approx(grp["unmet"].sum(), abs=1e-6), (cat, d)


def test_commissioning_intentions(statement, raw):
    youth = _section(statement, raw, "YOUTH")
    assert "Co-design a youth offer for the north of the borough" in youth and "Youth commissioner" in youth
    others = [s for name, s in statement["sections"].items() if name != "Youth services"]
    assert not any("Co-design a youth offer" in s for s in others)
    assert "Move small grants to three-year terms" in \
        statement["sections"]["Commissioning intentions for the whole place"]


def test_names_not_codes_and_inert_text(statement):
    md, html = statement["md"], statement["html"]
    for code in ("GB-DEMO-0", "E050152"):
        body = md.split("\n## Methods and data")[0]
        assert code not in body, code  # every organisation and ward shown by name
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_renders_in_headless_chromium_without_fetching_anything(statement):
    """The HTML lays out in a real browser: every section, every chart drawn, no request leaves the file,
    nothing wider than the page, and it prints to an A4 PDF."""
    from playwright.sync_api import sync_playwright
    from support import ARGS, CHROMIUM

    path = statement["out"] / "market-position.html"
    fetched = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.route("**/*", lambda route: (fetched.append(route.request.url), route.abort())
                       if not route.request.url.startswith("file://") else route.continue_())
            page.goto(path.as_uri())
            ids = page.eval_on_selector_all("section", "els => els.map(e => e.id)")
            n = len(statement["doc"]["markets"])
            other = ["other-procurements"] if statement["doc"]["other_pipeline"] else []
            assert ids == ["summary", "money", *[f"market-{i}" for i in range(n)], *other, "intentions", "methods"]
            # a trend chart, a map and a sector chart per market with providers
            assert page.locator("section[id^=market-] svg[aria-label^='Need, supply and unmet']").count() == n
            assert page.locator("svg[aria-label^='Map of unmet need']").count() == n
            with_shares = sum(1 for mk in statement["doc"]["markets"]
                              if any(r.get("share") is not None for r in mk["diversity"]))
            assert page.locator("svg[aria-label^='Share of supply by provider sector']").count() == with_shares
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            pdf = page.pdf(format="A4")
            assert pdf[:5] == b"%PDF-"
        finally:
            browser.close()
    assert fetched == []


def test_trends_of_all_categories_at_once_equal_the_series_of_each(statement, graph_store):
    """The statement prepares each date once for every category; the rows are series()'s, category by category."""
    from pandas.testing import assert_frame_equal

    from ecosystem.analysis.market import series
    from ecosystem.report.market import category_series
    from ecosystem.service import Ecomap

    doc = statement["doc"]
    frames = Ecomap(graph_store).frames(DEMO_PLACE)
    dates = [dt.date.fromisoformat(d) for d in doc["dates"]] + [dt.date(2020, 1, 1)]
    cats = doc["categories"] + ["no-such-category"]
    together = category_series(frames, dates, place=DEMO_PLACE, categories=cats)
    for cat in cats:
        assert_frame_equal(together[cat], series(frames, dates, place=DEMO_PLACE, category=cat), check_exact=True)
