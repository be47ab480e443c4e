"""``ecomap reconcile`` and ``ecomap categories map``."""

from __future__ import annotations

import pathlib

from ecosystem.cli import EXIT_OK, UsageError, _err, open_store, print_json


def user_category_map() -> pathlib.Path:
    """The user's editable taxonomy-term → category map (in ECOMAP_HOME)."""
    from ecosystem.server import default_home

    return default_home() / "category_map.csv"


def cmd_reconcile(args) -> int:
    from ecosystem.load import existing_organisations
    from loaders.identity import probable_duplicates

    with open_store() as store:
        orgs = existing_organisations(store)
    pairs = probable_duplicates(orgs)
    if args.json:
        print_json(pairs.to_dict("records"))
    elif not len(pairs):
        _err(f"no probable duplicates among {len(orgs):,} organisations")
    else:
        print(f"{len(pairs)} pair(s) share a name but no identifier; confirm by hand (nothing is merged on a name):")
        print(pairs[["id_a", "name_a", "id_b", "name_b"]].to_string(index=False))
    return EXIT_OK


def cmd_categories_map(args) -> int:
    from loaders import categories, ocds
    from loaders.openreferral import unmapped_terms

    out = pathlib.Path(args.out) if args.out else user_category_map()
    terms: list = []
    for p in args.paths or []:
        if not pathlib.Path(p).exists():
            raise UsageError(f"{p}: no such file or folder")
        read = ocds.unmapped_terms if ocds.sniff(pathlib.Path(p)) else unmapped_terms
        terms += read(p, category_map=out if out.exists() else None)
    path = categories.write_user_map(out, terms)
    cmap = categories.read_map(path)
    n_unclassified = sum(1 for t in terms if cmap.lookup(t[1], taxonomy=t[0]) == categories.UNCLASSIFIED)
    if args.json:
        print_json({"path": str(path), "unmapped_terms": [list(t) for t in terms]})
    else:
        _err(f"category map: {path}")
        if terms:
            _err(f"{len(terms)} taxonomy term(s) were not mapped; {n_unclassified} now listed as 'unclassified' "
                 f"for you to edit")
        _err("edit the `category` column, then load again: `ecomap load` uses this map for Open Referral data "
             "and for OCDS procurements' CPV codes (taxonomy CPV; a code's broader codes map it too)")
    return EXIT_OK


def register(sp, sub) -> None:
    r = sub(sp, "reconcile", cmd_reconcile, "list probable duplicate organisations (same name, no shared id)",
            "ecomap reconcile --json")
    r.add_argument("--json", action="store_true")
    c = sub(sp, "categories", lambda a: (_err("use: ecomap categories map"), 2)[1],
            "taxonomy terms and ecomap categories", "ecomap categories map services.json")
    csp = c.add_subparsers(dest="categories_command", metavar="ACTION")
    m = sub(csp, "map", cmd_categories_map,
            "write (or extend) your editable taxonomy-term → category map, adding the terms a source uses",
            "ecomap categories map ../shared/data/oruk/uk_profile_v3_examples/service_full.json")
    m.add_argument("paths", nargs="*", metavar="PATH", help="Open Referral files whose terms to add, or OCDS files "
                                                              "whose procurements' CPV codes to add")
    m.add_argument("--out", help="map file (default: category_map.csv in ECOMAP_HOME)")
    m.add_argument("--json", action="store_true")
