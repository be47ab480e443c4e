"""The report's words and tables, once, for every output format.

:func:`sections` turns a report document into a list of :class:`Section`
objects made of paragraphs, bullet lists, tables and figure slots; the HTML
and Markdown renderers only lay them out, so the two always say the same
thing with the same numbers. Codes are shown by name wherever a person
reads them (the code stays in a tooltip in HTML and in the CSV files).
"""

from __future__ import annotations

import dataclasses
import decimal
from typing import Any, Union

from ecosystem.analysis._json import column_of
from ecosystem.model import DEFAULT_CURRENCY
from ecosystem.model import money as to_money
from ecosystem.money import fmt as fmt_money
from ecosystem.money import fmt_totals, order_currencies

#: rows shown per table in HTML and Markdown (every row is in the CSV files)
MAX_ROWS = 100

#: a table cell: plain text, or (text, code) where the code is worth a tooltip
Cell = Union[str, tuple]

STATUS_WORDS = {"unserved": "unserved", "under": "under-served", "met": "met", "over": "over-supplied",
                "no_demand": "no recorded need"}


@dataclasses.dataclass
class Table:
    columns: list[str]
    rows: list[list[Cell]]
    numeric: set[int] = dataclasses.field(default_factory=set)  # right-aligned column indexes
    csv: str | None = None  # the CSV file holding every row
    total_rows: int | None = None  # rows before MAX_ROWS was applied
    empty: str = "None."
    nowrap: set[int] = dataclasses.field(default_factory=set)  # ids and dates kept on one line


@dataclasses.dataclass
class Section:
    id: str
    title: str
    blocks: list[tuple[str, Any]]  # ("p", text) ("list", [text]) ("table", Table) ("h", text) ("figure", key)


# ---------------------------------------------------------------- formatting
def people(v: Any) -> str:
    """People a year: whole numbers without decimals, otherwise one decimal."""
    if v is None:
        return "–"
    v = float(v)
    if abs(v - round(v)) < 0.05:
        return f"{round(v):,}"
    return f"{v:,.1f}"


def money(v: Any, currency: str | None = None) -> str:
    """An amount with its currency (``£1,235``, ``US$75,465``); ``–`` when missing."""
    return fmt_money(v, currency)


def money_totals(rows: list[dict[str, Any]]) -> str:
    """The amounts of ``rows`` added up per currency, never across: ``£93,000 + US$1,000``."""
    by: dict[str, decimal.Decimal] = {}
    for r in rows:
        if r.get("amount") is not None:
            c = r.get("currency") or DEFAULT_CURRENCY
            by[c] = by.get(c, decimal.Decimal(0)) + to_money(r["amount"])
    return fmt_totals([(c, by[c]) for c in order_currencies(by)])


def pct(v: Any) -> str:
    return "–" if v is None else f"{100 * float(v):.0f}%"


def signed(v: float) -> str:
    return ("+" if v > 0 else "") + people(v)


class Namer:
    """Code → display name, falling back to the code."""

    def __init__(self, names: dict[str, dict[str, str]]):
        self.names = names

    def __call__(self, kind: str, code: Any) -> str:
        if code is None:
            return "–"
        return self.names.get(kind, {}).get(str(code)) or str(code)

    def cell(self, kind: str, code: Any) -> Cell:
        name = self(kind, code)
        return name if name == str(code) else (name, str(code))

    def many(self, kind: str, codes: list) -> str:
        return ", ".join(self(kind, c) for c in codes) if codes else "–"


def _table(columns: list[str], rows: list[list[Cell]], *, numeric=(), csv=None, empty="None.", nowrap=(),
           total: int | None = None) -> Table:
    """A table of at most MAX_ROWS rows; ``total``: the rows there are when ``rows`` holds only the first ones."""
    return Table(columns, rows[:MAX_ROWS], set(numeric), csv, len(rows) if total is None else total, empty,
                 set(nowrap))


# ---------------------------------------------------------------- sections
def headline(doc: dict[str, Any]) -> str:
    t = doc["analysis"]["totals"]
    return (f"Need {people(t['demand'])} · supply {people(t['supply'])} · unmet {people(t['unmet'])} people a year "
            f"across {t['cells']} place/category cells: {t['unserved_cells']} unserved, {t['under_cells']} "
            f"under-served, {t['over_cells']} over-supplied.")


def title(doc: dict[str, Any]) -> str:
    where = doc.get("place_name") or doc.get("place") or "every place"
    return f"Gap report: {where}"


def subtitle(doc: dict[str, Any]) -> str:
    place = f" ({doc['place']})" if doc.get("place") else ""
    return (f"{doc.get('place_name') or 'every place'}{place} · as of {doc['as_of']} · "
            f"generated {doc['generated']}")


def cliff_bands(doc: dict[str, Any], currency: str | None = None) -> list[tuple[int, int, float]]:
    """(months, flows, amount) of funding cliffs ending within each band (cumulative), in one currency.

    ``currency`` defaults to the analysis's main currency; amounts are added exactly.
    """
    currency = currency or doc["analysis"].get("currency") or DEFAULT_CURRENCY
    out = []
    for b in doc["options"]["cliff_bands"]:
        rows = [r for r in doc["cliff_outlook"] if r["within_months"] <= b
                and (r.get("currency") or DEFAULT_CURRENCY) == currency]
        out.append((b, len(rows), float(sum((to_money(r["amount"]) for r in rows if r["amount"] is not None),
                                            decimal.Decimal(0)))))
    return out


def cliff_band_text(doc: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(months, flows, amount text with every currency) for each band."""
    out = []
    for b in doc["options"]["cliff_bands"]:
        rows = [r for r in doc["cliff_outlook"] if r["within_months"] <= b]
        out.append((b, len(rows), money_totals(rows)))
    return out


def currency_note(doc: dict[str, Any]) -> str | None:
    """A sentence saying the place's funding is in several currencies, or None when it is in one."""
    cur = doc["analysis"].get("funding_currencies") or []
    if len(cur) < 2:
        return None
    parts = ", ".join(f"{money(r['amount'], r['currency'])} in {r['flows']} flow(s)" for r in cur)
    return (f"Active funding here is in {len(cur)} currencies ({parts}). Every amount, share and dependency is "
            f"given per currency and none is converted; the short-term share is for "
            f"{doc['analysis'].get('currency')}.")


def _unmet_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    cov = [r for r in doc["analysis"]["coverage"] if (r["unmet"] or 0) > 0]
    return sorted(cov, key=lambda r: (-(r["unmet"] or 0), r["place"], r["category"]))


def _overlap_lead(a: dict[str, Any], n: Namer) -> str:
    """'; most in Youth services: 12 providers run 17 … inside them' — the category with most pairs."""
    summ = a.get("overlap_summary") or []
    if not summ:
        return ""
    top = summ[0]
    wide = [w for w in a.get("area_wide_services") or [] if w["category"] == top["category"]]
    cat = n("categories", top["category"])
    if not wide:
        return f"; most in {cat} ({top['pairs']:,} pairs)"
    w = max(wide, key=lambda r: r["pairs"])
    k = len(w["services"])
    return (f"; most in {cat}, where {w['providers']} provider(s) run {k} service(s) that each cover all of "
            f"{n('places', w['area'])} and {w['inside']:,} other {cat} service(s) lie inside them")


def summary_section(doc: dict[str, Any], n: Namer) -> Section:
    a = doc["analysis"]
    t = a["totals"]
    dep = [r for r in a["funding_dependency"] if r["dependent"]]
    single = [r for r in dep if (r.get("funders") or 0) == 1]
    crit = [r for r in a["critical_providers"] if (r["unmet_added"] or 0) > 0]
    conc = [r for r in a["concentration"] if r["concentrated"]]
    bullets = [
        f"Unserved cells (need, no active service): {t['unserved_cells']}; under-served: {t['under_cells']}; "
        f"unmet need {people(t['unmet'])} people a year.",
        f"Duplication: {len(a['duplication'])} over-supplied cell(s) with 2 or more providers; "
        f"{len(a['overlaps'])} pair(s) of overlapping services "
        f"({sum(1 for v in column_of(a['overlaps'], 'different_funders') if v)} with different funders)"
        + _overlap_lead(a, n) + ".",
        f"Funding dependency: {len(dep)} of {len(a['funding_dependency'])} funded organisations get at least "
        f"{pct(doc['options']['dependency_threshold'])} of their funding from one funder; {len(single)} have a "
        f"single funder.",
        "Funding cliffs: " + "; ".join(f"{k} in the next {b} months ({v})"
                                       for b, k, v in cliff_band_text(doc)) + ".",
        f"Short-term funding (12 months or less): {pct(a['short_term_share'])} of active funding"
        + (f" in {a.get('currency')}." if len(a.get("funding_currencies") or []) > 1 else "."),
        f"Sole providers: {len(a['sole_providers'])} cell(s) with need served by exactly one provider.",
        "Critical providers: " + ("; ".join(f"{n('organisations', r['provider'])} (+{people(r['unmet_added'])})"
                                            for r in crit[:3]) + (f" and {len(crit) - 3} more" if len(crit) > 3 else "")
                                  if crit else "none") + ".",
        "Partnership articulation points: " + n.many("organisations", a["articulation_points"]) + ".",
        f"Concentrated markets (HHI > 2,500): {len(conc)} of {len(a['concentration'])}.",
    ]
    note = currency_note(doc)
    if note:
        bullets.insert(3, note)
    blocks: list[tuple[str, Any]] = [("p", headline(doc))]
    blocks += unplaced_blocks(doc, n)
    blocks.append(("list", bullets))
    ch = doc.get("changes")
    if ch:
        blocks.append(("p", "Since the report of " + str(ch["previous"]["as_of"]) + ": " + change_line(ch)))
    top = _unmet_rows(doc)[:5]
    blocks.append(("h", "Largest unmet needs"))
    blocks.append(("table", _table(
        ["Place", "Category", "Need", "Supply", "Unmet", "Status"],
        [[n.cell("places", r["place"]), n.cell("categories", r["category"]), people(r["demand"]),
          people(r["supply"]), people(r["unmet"]), STATUS_WORDS.get(r["status"], r["status"])] for r in top],
        numeric=(2, 3, 4), csv="coverage.csv", empty="No unmet need.")))
    return Section("summary", "Summary", blocks)


def unplaced_blocks(doc: dict[str, Any], n: Namer) -> list[tuple[str, Any]]:
    """What has no place, so no place's figures count it (SPEC §5): a sentence, the fixes, the organisations."""
    from ecosystem.analysis.unplaced import unplaced_fix, unplaced_sentence

    u = doc["analysis"].get("unplaced") or {}
    sentence = unplaced_sentence(u, names=doc["names"].get("organisations", {}))
    if not sentence:
        return []
    rows = u.get("list") or []
    return [("p", sentence), ("list", [f"To place them: {f}" for f in unplaced_fix(u)]),
            ("table", _table(["Organisation", "Postcode", "Active flows", "Active funding"],
                             [[n.cell("organisations", r["organisation"]), r.get("postcode") or "–",
                               f"{int(r.get('flows') or 0):,}", fmt_money(r.get("amount"), r.get("currency"))]
                              for r in rows],
                             numeric=(2, 3), csv="unplaced.csv"))]


def change_line(ch: dict[str, Any]) -> str:
    return (f"{len(ch['newly_unserved'])} newly unserved cell(s), {len(ch['newly_met'])} newly met, "
            f"{len(ch['unmet_changes'])} unmet change(s) of {people(ch['unmet_threshold'])} or more, "
            f"{len(ch['new_cliffs'])} new funding cliff(s), {len(ch['passed_cliffs'])} passed or resolved, "
            f"{len(ch['services_appeared'])} service(s) appeared and {len(ch['services_left'])} left, "
            f"{len(ch['providers_appeared'])} provider(s) appeared and {len(ch['providers_left'])} left; "
            f"unmet need {people(ch['unmet_before'])} → {people(ch['unmet_after'])} people a year.")


def changes_section(doc: dict[str, Any], n: Namer) -> Section | None:
    ch = doc.get("changes")
    if not ch:
        return None
    prev = ch["previous"]
    blocks: list[tuple[str, Any]] = [
        ("p", f"Compared with the report as of {prev['as_of']} (generated {prev.get('generated') or 'unknown'})."),
        ("p", change_line(ch))]
    blocks += [("h", "Newly unserved"), ("table", _table(
        ["Place", "Category", "Need", "Status before"],
        [[n.cell("places", r["place"]), n.cell("categories", r["category"]), people(r["demand"]),
          STATUS_WORDS.get(r["status_before"], "no need recorded")] for r in ch["newly_unserved"]],
        numeric=(2,), csv="changes_newly_unserved.csv"))]
    blocks += [("h", "Newly met"), ("table", _table(
        ["Place", "Category", "Coverage", "Status", "Status before"],
        [[n.cell("places", r["place"]), n.cell("categories", r["category"]), pct(r["coverage"]),
          STATUS_WORDS.get(r["status"], r["status"]), STATUS_WORDS.get(r["status_before"], r["status_before"])]
         for r in ch["newly_met"]], numeric=(2,), csv="changes_newly_met.csv"))]
    blocks += [("h", f"Unmet need changes of {people(ch['unmet_threshold'])} people a year or more"), ("table", _table(
        ["Place", "Category", "Unmet before", "Unmet now", "Change"],
        [[n.cell("places", r["place"]), n.cell("categories", r["category"]), people(r["unmet_before"]),
          people(r["unmet_after"]), signed(r["change"])] for r in ch["unmet_changes"]],
        numeric=(2, 3, 4), csv="changes_unmet.csv"))]
    blocks += [("h", "New funding cliffs"), ("table", _cliff_table(ch["new_cliffs"], n, "changes_new_cliffs.csv"))]
    blocks += [("h", "Cliffs passed or resolved"), ("table", _table(
        ["Funding", "Funder", "Recipient", "Ended / ends", "Amount", "Why"],
        [[r["funding"], n.cell("organisations", r["funder"]), n.cell("organisations", r["recipient"]), r["end"],
          money(r["amount"], r.get("currency")), "ended" if r["why"] == "ended" else "renewed, extended or withdrawn"]
         for r in ch["passed_cliffs"]], numeric=(4,), csv="changes_passed_cliffs.csv", nowrap=(0, 3)))]
    moves = [("Services that appeared", "services", ch["services_appeared"]),
             ("Services that left", "services", ch["services_left"]),
             ("Providers that appeared", "organisations", ch["providers_appeared"]),
             ("Providers that left", "organisations", ch["providers_left"])]
    items = [f"{label}: " + (", ".join(f"{n(kind, c)} ({c})" if n(kind, c) != c else c for c in codes)
                             if codes else "none")
             for label, kind, codes in moves]
    blocks += [("h", "Services and providers"), ("list", items)]
    return Section("changes", "What changed", blocks)


def _cliff_table(rows: list[dict[str, Any]], n: Namer, csv: str, *, band: bool = False) -> Table:
    cols = (["Within"] if band else []) + ["Funding", "Funder", "Recipient", "Ends", "Amount", "Services at risk"]
    out = []
    for r in rows:
        row: list[Cell] = [f"{r['within_months']} months"] if band else []
        row += [r["funding"], n.cell("organisations", r["funder"]), n.cell("organisations", r["recipient"]),
                r["end"], money(r["amount"], r.get("currency")), n.many("services", r.get("services") or [])]
        out.append(row)
    k = 1 if band else 0
    return _table(cols, out, numeric=(4 + k,), csv=csv, empty="No funding cliffs.", nowrap=(0, k, 3 + k))


def figures_section(doc: dict[str, Any], has_map: bool) -> Section:
    blocks: list[tuple[str, Any]] = []
    if has_map:
        blocks += [("h", "Unmet need by place"), ("figure", "map")]
    blocks += [("h", "Coverage by place and category"), ("figure", "grid"),
               ("h", "Unmet need by category"), ("figure", "unmet_by_category"),
               ("h", "Funding at risk"), ("figure", "cliffs")]
    return Section("figures", "Maps and charts", blocks)


def category_totals(doc: dict[str, Any]) -> list[dict[str, Any]]:
    by: dict[str, dict[str, Any]] = {}
    for r in doc["analysis"]["coverage"]:
        c = by.setdefault(r["category"], {"category": r["category"], "demand": 0.0, "supply": 0.0, "unmet": 0.0,
                                          "unserved": 0, "under": 0})
        c["demand"] += r["demand"] or 0
        c["supply"] += r["supply"] or 0
        c["unmet"] += r["unmet"] or 0
        c["unserved"] += r["status"] == "unserved"
        c["under"] += r["status"] == "under"
    return sorted(by.values(), key=lambda r: (-r["unmet"], r["category"]))


def gaps_section(doc: dict[str, Any], n: Namer) -> Section:
    rows = [r for r in _unmet_rows(doc) if r["status"] in ("unserved", "under")]
    table = _table(
        ["Place", "Category", "Need", "Supply", "Unmet", "Coverage", "Status", "Providers", "Note"],
        [[n.cell("places", r["place"]), n.cell("categories", r["category"]), people(r["demand"]),
          people(r["supply"]), people(r["unmet"]), pct(r["coverage"]), STATUS_WORDS.get(r["status"], r["status"]),
          str(r["providers"]), "capacity unknown" if r["capacity_unknown"] else ""] for r in rows],
        numeric=(2, 3, 4, 5, 7), csv="coverage.csv", empty="Every cell with need is met.")
    cats = _table(["Category", "Need", "Supply", "Unmet", "Unserved cells", "Under-served cells"],
                  [[n.cell("categories", r["category"]), people(r["demand"]), people(r["supply"]),
                    people(r["unmet"]), str(r["unserved"]), str(r["under"])] for r in category_totals(doc)],
                  numeric=(1, 2, 3, 4, 5), csv="coverage.csv")
    return Section("gaps", "Gaps: unserved and under-served", [
        ("p", "Need and supply are people a year. A cell is a place (ward or other smallest area) and a "
              "category; supply is the capacity of active services apportioned by population."),
        ("h", "By category"), ("table", cats), ("h", "Cells with unmet need"), ("table", table)])


#: the last document's duplication summary: the HTML and Markdown renderings of one report share it
_SUMMARY_MEMO: list[tuple[dict[str, Any], int, list[tuple[str, Any]]]] = []


def duplication_summary_blocks(doc: dict[str, Any], n: Namer, *, top: int = 10) -> list[tuple[str, Any]]:
    """The duplication summary: overlaps by category, then the services behind the pairs of the ``top`` categories.

    Worked out once per document (the memo holds the document itself, so an
    identity match is the same document).
    """
    for memo_doc, memo_top, blocks in _SUMMARY_MEMO:
        if memo_doc is doc and memo_top == top:
            return blocks
    blocks = _duplication_summary_blocks(doc, n, top=top)
    _SUMMARY_MEMO[:] = [(doc, top, blocks)]
    return blocks


def _duplication_summary_blocks(doc: dict[str, Any], n: Namer, *, top: int) -> list[tuple[str, Any]]:
    from ecosystem.analysis._report import duplication_lines
    from ecosystem.analysis.duplication import split_by_category, summary_tables

    a = doc["analysis"]
    summ = a.get("overlap_summary") or []
    if not summ:
        return [("p", "No overlapping services.")]
    pairs = sum(r["pairs"] for r in summ)
    wide = sum(r["area_wide_pairs"] for r in summ)
    cats = _table(["Category", "Pairs", "Services", "Providers", "Area-wide services", "Pairs with an area-wide service",
                   "Identical-area groups", "Other pairs", "Shared funder"],
                  [[n.cell("categories", r["category"]), f"{r['pairs']:,}", f"{r['services']:,}", f"{r['providers']:,}",
                    f"{r['area_wide_services']:,}", f"{r['area_wide_pairs']:,}", f"{r['identical_groups']:,}",
                    f"{r['other_pairs']:,}", pct(r["shared_funder_pairs"] / r["pairs"] if r["pairs"] else None)]
                   for r in summ], numeric=(1, 2, 3, 4, 5, 6, 7, 8), csv="overlap_summary.csv")
    tables = summary_tables(a)
    blocks: list[tuple[str, Any]] = [
        ("p", f"{pairs:,} pair(s) of overlapping services in {len(summ):,} categories; {wide:,} of them pair a service "
              f"covering a whole area with another service inside it. The summary names the services behind the "
              f"pairs; every pair is in the table of overlapping pairs below and in overlaps.csv."),
        ("h", "Overlapping services by category"), ("table", cats)]
    split = split_by_category(tables, [r["category"] for r in summ[:top]])
    for r in summ[:top]:
        lines = duplication_lines(split[r["category"]], r["category"], name=n, full=True)
        blocks += [("h", lines[0]), ("list", [line.strip() for line in lines[1:]])]
    if len(summ) > top:
        blocks.append(("p", f"… and {len(summ) - top} more categories (overlap_summary.csv, "
                            f"area_wide_services.csv, identical_areas.csv, overlapping_services.csv)."))
    return blocks


def duplication_section(doc: dict[str, Any], n: Namer) -> Section:
    a = doc["analysis"]
    dup = _table(["Place", "Category", "Providers", "Coverage", "Need", "Supply"],
                 [[n.cell("places", r["place"]), n.cell("categories", r["category"]), str(r["providers"]),
                   pct(r["coverage"]), people(r.get("demand")), people(r.get("supply"))]
                  for r in a["duplication"][:MAX_ROWS]],
                 numeric=(2, 3, 4, 5), csv="duplication.csv", total=len(a["duplication"]))
    ovl = _table(["Service A", "Provider A", "Service B", "Provider B", "Category", "Overlap", "Funders"],
                 [[n.cell("services", r["service_a"]), n.cell("organisations", r.get("provider_a")),
                   n.cell("services", r["service_b"]), n.cell("organisations", r.get("provider_b")),
                   n.cell("categories", r["category"]), pct(r["overlap"]),
                   "different" if r["different_funders"] else "shared"] for r in a["overlaps"][:MAX_ROWS]],
                 numeric=(5,), csv="overlaps.csv", total=len(a["overlaps"]))
    return Section("duplication", "Duplication", [
        ("p", f"Pairs of active services in the same category from different providers whose areas overlap by at "
              f"least half of the smaller area's population, and over-supplied cells (coverage at or above "
              f"{pct(doc['options']['oversupply'])}) with 2 or more providers."),
        ("h", "Overlapping services: the summary"), *duplication_summary_blocks(doc, n),
        ("h", "Over-supplied cells"), ("table", dup), ("h", "Every overlapping pair"), ("table", ovl)])


def funding_section(doc: dict[str, Any], n: Namer) -> Section:
    a = doc["analysis"]
    dep = [r for r in a["funding_dependency"] if r["dependent"]]
    dep_t = _table(["Provider", "Top funder", "Top share", "HHI", "Funders", "Active funding"],
                   [[n.cell("organisations", r["provider"]), n.cell("organisations", r["top_funder"]),
                     pct(r["top_share"]), f"{r['hhi']:.2f}", str(r.get("funders")),
                     money(r.get("amount"), r.get("currency"))]
                    for r in dep], numeric=(2, 3, 4, 5), csv="funding_dependency.csv",
                   empty="No provider depends on one funder.")
    bands = "; ".join(f"{k} flow(s), {v} within {b} months" for b, k, v in cliff_band_text(doc))
    return Section("funding", "Funding: dependency and cliffs", [
        ("p", f"A provider is dependent when one funder gives at least "
              f"{pct(doc['options']['dependency_threshold'])} of its active funding (HHI: sum of squared funder "
              f"shares, 0–1)."),
        ("h", "Dependent providers"), ("table", dep_t),
        ("h", "Funding cliffs in the next 12 months"),
        ("p", f"Active funding that ends with nothing later from the same funder to the same recipient: {bands}. "
              f"The report's alerts use the {doc['options']['horizon']}-month horizon "
              f"({len(a['funding_cliffs'])} flow(s), see funding_cliffs.csv)."),
        ("table", _cliff_table(doc["cliff_outlook"], n, "cliff_outlook.csv", band=True)),
        ("p", f"Short-term funding (flows of 12 months or less): {pct(a['short_term_share'])} of active funding.")])


def providers_section(doc: dict[str, Any], n: Namer) -> Section:
    a = doc["analysis"]
    sole = _table(["Place", "Category", "Provider", "Need", "Supply"],
                  [[n.cell("places", r["place"]), n.cell("categories", r["category"]),
                    n.cell("organisations", r["provider"]), people(r.get("demand")), people(r.get("supply"))]
                   for r in a["sole_providers"][:MAX_ROWS]], numeric=(3, 4), csv="sole_providers.csv",
                  total=len(a["sole_providers"]))
    crit = [r for r in a["critical_providers"] if (r["unmet_added"] or 0) > 0]
    crit_t = _table(["Provider", "Unmet need added", "Cells left unserved", "Cells served"],
                    [[n.cell("organisations", r["provider"]), people(r["unmet_added"]), str(r.get("unserved_added")),
                      str(r.get("cells"))] for r in crit[:MAX_ROWS]], numeric=(1, 2, 3), csv="critical_providers.csv",
                    total=len(crit))
    aps = [f"{n('organisations', o)}" for o in a["articulation_points"]]
    brs = [f"{n('organisations', x)} – {n('organisations', y)}" for x, y in a["bridges"]]
    return Section("providers", "Sole and critical providers, and the partnership network", [
        ("h", "Critical providers"),
        ("p", "The unmet need (people a year, across all cells) that would be added if the provider left."),
        ("table", crit_t),
        ("h", "Sole providers"), ("p", "Cells with need whose active services all come from one provider."),
        ("table", sole),
        ("h", "Articulation points"),
        ("p", "Organisations whose departure would split the network of active partnerships."),
        ("list", aps or ["None."]),
        ("h", "Bridges"), ("p", "Partnerships that are the only link between two parts of the network."),
        ("list", brs or ["None."])])


def concentration_section(doc: dict[str, Any], n: Namer) -> Section:
    a = doc["analysis"]
    k = sorted([r for r in a["concentration"] if r["concentrated"]],
               key=lambda r: (-r["hhi"], str(r["place"]), str(r["category"])))
    t = _table(["Place", "Category", "HHI", "Providers", "Top provider", "Top share"],
               [[n.cell("places", r["place"]), n.cell("categories", r["category"]), f"{r['hhi']:,.0f}",
                 str(r.get("providers")), n.cell("organisations", r.get("top_provider")), pct(r.get("top_share"))]
                for r in k], numeric=(2, 3, 5), csv="concentration.csv", empty="No concentrated market.")
    return Section("concentration", "Concentration", [
        ("p", f"Herfindahl–Hirschman index of providers' shares of supply per place and category (0–10,000); "
              f"concentrated above 2,500. {len(k)} of {len(a['concentration'])} markets are concentrated."),
        ("table", t)])


def workshop_section(doc: dict[str, Any], n: Namer) -> Section:
    w = doc.get("workshop") or {}
    blocks: list[tuple[str, Any]] = []
    if w.get("error"):
        blocks.append(("p", f"Workshop records could not be read: {w['error']}"))
    notes, actions = w.get("notes") or [], w.get("actions") or []
    if not notes and not actions and not w.get("error"):
        blocks.append(("p", "No workshop notes, votes or actions are recorded for this place."))
    if notes:
        blocks += [("h", "Notes and votes"), ("table", _table(
            ["Note", "Votes", "Concerns", "Workshop", "Recorded"],
            [[str(r.get("text") or r.get("note") or r.get("title") or r["id"]), str(r.get("votes") or ""),
              ", ".join(_any_name(n, c) for c in r["concerns"]), str(r.get("workshop") or ""),
              str(r.get("created") or "")] for r in notes], numeric=(1,), csv="workshop_notes.csv"))]
    if actions:
        blocks += [("h", "Actions"), ("table", _table(
            ["Action", "Owner", "Due", "Status", "Concerns"],
            [[str(r.get("text") or r.get("title") or r["id"]), str(r.get("owner") or ""), str(r.get("due") or ""),
              str(r.get("status") or ""), ", ".join(_any_name(n, c) for c in r["concerns"])] for r in actions],
            csv="workshop_actions.csv"))]
    return Section("workshop", "Workshop notes, votes and actions", blocks)


def _any_name(n: Namer, code: str) -> str:
    for kind in ("places", "organisations", "services", "categories"):
        if code in n.names.get(kind, {}):
            return n(kind, code)
    return code


def methods_section(doc: dict[str, Any], n: Namer) -> Section:
    o = doc["options"]
    data = doc["data"]
    src = _table(["Source", "Format", "Loaded (UTC)", "Load run", "Rows"],
                 [[str(s["source"]), str(s.get("format") or ""), str(s.get("finished") or ""), str(s["run"]),
                   ", ".join(f"{v} {k}" for k, v in (s.get("counts") or {}).items() if v)]
                  for s in data["sources"]], csv="sources.csv", empty="No load runs recorded.")
    runs = _table(["Load run", "Source", "Finished (UTC)", "Status", "Warnings"],
                  [[str(r["run"]), str(r["source"]), str(r.get("finished") or ""), str(r.get("status") or ""),
                    str(r.get("warnings") or 0)] for r in data["load_runs"]], numeric=(4,), csv="sources.csv")
    thresholds = [
        f"As of: {doc['as_of']} (services and funding active when start ≤ as of ≤ end, a missing date open).",
        f"Place: {doc.get('place_name')}" + (f" ({doc['place']})" if doc.get("place") else "") +
        f", {len(doc['leaves'])} smallest areas (leaves).",
        f"Over-supplied: coverage at or above {pct(o['oversupply'])}; under-served: below 100%.",
        f"Funding dependency: top funder's share at or above {pct(o['dependency_threshold'])}.",
        f"Funding cliffs: alert horizon {o['horizon']} months; outlook bands {', '.join(map(str, o['cliff_bands']))} "
        f"months.",
        f"Overlapping services: at least {pct(o['overlap_share'])} of the smaller area's population shared.",
        f"Concentration: HHI above {o['concentrated_hhi']:,.0f} (0–10,000 scale).",
        f"Short-term funding: flows lasting {o['short_term_months']} months or less.",
        f"Changes: unmet need moves of {people(o['unmet_threshold'])} people a year or more are listed.",
    ]
    return Section("methods", "Methods and data", [
        ("p", "Need per place and category is compared with the capacity of active services. Capacity is spread "
              "over the places a service covers in proportion to population (equally when a population is "
              "missing); need given for a larger area is spread the same way. Each table in this report is in a "
              "CSV file of the same name beside it, with every row and the codes behind the names; report.json "
              "holds the full analysis for the next run."),
        ("h", "Thresholds and choices"), ("list", thresholds),
        ("h", "Sources (latest load of each)"), ("table", src),
        ("h", "Load runs"), ("table", runs),
        ("p", f"Store: {data['store']}; data version {data['version']}; ecomap {doc.get('tool_version')}; "
              f"report format {doc['format_version']}; generated {doc['generated']}.")])


def sections(doc: dict[str, Any], *, has_map: bool = False, figures: bool = True) -> list[Section]:
    """Every section of the report, in reading order (``figures=False`` leaves the charts section out)."""
    n = Namer(doc["names"])
    out = [summary_section(doc, n)]
    ch = changes_section(doc, n)
    if ch:
        out.append(ch)
    if figures:
        out.append(figures_section(doc, has_map))
    out += [gaps_section(doc, n), duplication_section(doc, n), funding_section(doc, n), providers_section(doc, n),
            concentration_section(doc, n), workshop_section(doc, n), methods_section(doc, n)]
    return out

