"""Synthetic ecomap template folders for benchmarks and load tests.

:func:`generate` writes the seven template CSVs (SPEC §3) for an invented
country at one of three scales. The data is made up but shaped like the
real thing: a place hierarchy (country -> regions -> local authorities ->
wards) with ward populations; needs per (ward, category), with a few
categories given once per local authority instead; providers of very
different sizes whose services serve one to several neighbouring wards of
their home authority (some name the authority itself), some without a
capacity and some already ended; funding flows starting and ending around
2026 (some open-ended, some short, many naming a service); and
partnerships between organisations of the same area.

All codes and ids start with ``SYN`` so the output is never mistaken for
real places or organisations. Generation is vectorised with numpy and
deterministic for a seed.
"""

from __future__ import annotations

import logging
import pathlib

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

#: scale -> sizes. ``wards`` is per local authority when ``las`` is given.
SCALES: dict[str, dict[str, int]] = {
    "la": {"regions": 1, "las": 1, "wards": 200, "organisations": 2_000, "services": 10_000,
           "funding": 50_000, "partnerships": 5_000},
    "region": {"regions": 1, "las": 10, "wards": 2_000, "organisations": 20_000, "services": 100_000,
               "funding": 500_000, "partnerships": 50_000},
    "england": {"regions": 9, "las": 300, "wards": 7_000, "organisations": 170_000, "services": 600_000,
                "funding": 1_000_000, "partnerships": 100_000},
}

N_GROUPS, N_SUB = 8, 4  # 8 broad categories with 4 narrower ones each = 40 categories
GROUP_NAMES = ["Health and wellbeing", "Older people", "Children and families", "Young people",
               "Mental health", "Carers", "Housing and homelessness", "Money and employment"]
SUB_NAMES = ["information and advice", "community support", "specialist support", "prevention"]
#: broad categories whose need is given once per local authority, not per ward
LA_LEVEL_GROUPS = (5, 7)

SECTORS = np.array(["vcse", "private", "public", "other"])
FUNDING_KINDS = np.array(["grant", "contract", "sla", "spot", "other"])
PARTNERSHIP_KINDS = np.array(["consortium", "subcontract", "referral", "colocation", "other"])
CLIENT_GROUPS = np.array(["adults", "older people", "children and families", "young people", "carers", "all ages"])

EPOCH = np.datetime64("2026-01-01")


def _dates(days: np.ndarray) -> np.ndarray:
    """Day offsets from 2026-01-01 as ISO strings ('' where the offset is negative-sentinel)."""
    out = (EPOCH + days.astype("timedelta64[D]")).astype(str).astype(object)
    return out


def _blank(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[mask] = ""
    return out


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _places(rng: np.random.Generator, size: dict[str, int]) -> dict[str, np.ndarray]:
    n_reg, n_la, n_ward = size["regions"], size["las"], size["wards"]
    # wards per LA: at least 5, the rest spread at random (fixed total)
    extra = rng.multinomial(n_ward - 5 * n_la, rng.dirichlet(np.full(n_la, 4.0))) if n_la > 1 else np.array(
        [n_ward - 5])
    per_la = extra + 5
    ward_la = np.repeat(np.arange(n_la), per_la)
    la_region = np.sort(rng.integers(0, n_reg, n_la)) if n_reg > 1 else np.zeros(n_la, dtype=int)
    if n_reg > 1:  # every region gets at least one LA
        la_region[:n_reg] = np.arange(n_reg)
        la_region.sort()
    pop = np.round(rng.lognormal(np.log(8_000), 0.35, n_ward)).astype(np.int64).clip(1_000, 40_000)
    # LA centres inside a rough England box, wards jittered around them
    la_lat, la_lon = rng.uniform(50.6, 55.2, n_la), rng.uniform(-3.5, 1.4, n_la)
    return {
        "per_la": per_la, "ward_la": ward_la, "la_region": la_region, "ward_pop": pop,
        "ward_lat": la_lat[ward_la] + rng.normal(0, 0.05, n_ward),
        "ward_lon": la_lon[ward_la] + rng.normal(0, 0.08, n_ward),
        "la_lat": la_lat, "la_lon": la_lon,
        "la_first_ward": np.concatenate([[0], np.cumsum(per_la)[:-1]]),
    }


def generate(scale: str, seed: int, out: pathlib.Path) -> dict[str, int]:
    """Write a synthetic template folder and return the rows written per table.

    Parameters
    ----------
    scale : ``"la"`` (about 200 wards, 2,000 organisations, 10,000 services,
        50,000 funding flows), ``"region"`` (ten times that) or ``"england"``
        (7,000 wards, 170,000 organisations, 600,000 services, 1,000,000 flows).
    seed : the random seed; the same seed always writes the same files.
    out : the folder to write (created if missing); existing template CSVs are replaced.

    Returns
    -------
    dict
        ``{table: rows}`` for places, categories, organisations, services,
        needs, funding and partnerships.
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    counts = generate_sized(SCALES[scale], seed, out)
    log.info("generated %s scale (seed %s) in %s: %s", scale, seed, out, counts)
    return counts


def generate_sized(size: dict[str, int], seed: int, out: pathlib.Path) -> dict[str, int]:
    """:func:`generate` with explicit sizes (keys as in :data:`SCALES`), e.g. for small tests.

    Needs ``wards >= 5 * las``, ``las >= regions >= 1`` and
    ``organisations >= las + max(5, organisations // 50) + 1``.
    """
    size = dict(size)
    n_trust = max(5, size["organisations"] // 50)
    if not (1 <= size["regions"] <= size["las"] and size["wards"] >= 5 * size["las"]
            and size["organisations"] > size["las"] + n_trust):
        raise ValueError(f"inconsistent sizes: {size}")
    rng = np.random.default_rng(seed)
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    geo = _places(rng, size)
    n_reg, n_la, n_ward = size["regions"], size["las"], size["wards"]

    # ---- places ---------------------------------------------------------
    ward_codes = _ids("SYN-W", n_ward, 6)
    la_codes = _ids("SYN-LA", n_la, 4)
    reg_codes = _ids("SYN-R", n_reg, 2)
    la_pop = np.bincount(geo["ward_la"], weights=geo["ward_pop"], minlength=n_la).astype(np.int64)
    reg_pop = np.bincount(geo["la_region"], weights=la_pop, minlength=n_reg).astype(np.int64)
    places = pd.concat([
        pd.DataFrame({"code": ["SYN-E"], "name": ["Synthetic England"], "level": ["country"], "parent": [""],
                      "population": [int(reg_pop.sum())], "lat": [52.5], "lon": [-1.5]}),
        pd.DataFrame({"code": reg_codes, "name": np.char.add("Synthetic region ", np.arange(1, n_reg + 1).astype(str)),
                      "level": "region", "parent": "SYN-E", "population": reg_pop,
                      "lat": np.round(np.bincount(geo["la_region"], weights=geo["la_lat"], minlength=n_reg)
                                      / np.bincount(geo["la_region"], minlength=n_reg), 5),
                      "lon": np.round(np.bincount(geo["la_region"], weights=geo["la_lon"], minlength=n_reg)
                                      / np.bincount(geo["la_region"], minlength=n_reg), 5)}),
        pd.DataFrame({"code": la_codes, "name": np.char.add("Synthetic authority ", np.arange(1, n_la + 1).astype(str)),
                      "level": "la", "parent": reg_codes[geo["la_region"]], "population": la_pop,
                      "lat": np.round(geo["la_lat"], 5), "lon": np.round(geo["la_lon"], 5)}),
        pd.DataFrame({"code": ward_codes, "name": np.char.add("Synthetic ward ", np.arange(1, n_ward + 1).astype(str)),
                      "level": "ward", "parent": la_codes[geo["ward_la"]], "population": geo["ward_pop"],
                      "lat": np.round(geo["ward_lat"], 5), "lon": np.round(geo["ward_lon"], 5)}),
    ], ignore_index=True)

    # ---- categories -----------------------------------------------------
    group_codes = np.array([f"SYN-C{g + 1:02d}" for g in range(N_GROUPS)], dtype=object)
    sub_codes = np.array([f"SYN-C{g + 1:02d}.{s + 1}" for g in range(N_GROUPS) for s in range(N_SUB)],
                         dtype=object)
    sub_group = np.repeat(np.arange(N_GROUPS), N_SUB)
    categories = pd.concat([
        pd.DataFrame({"code": group_codes, "name": GROUP_NAMES, "parent": ""}),
        pd.DataFrame({"code": sub_codes,
                      "name": [f"{GROUP_NAMES[g]}: {SUB_NAMES[s]}" for g in range(N_GROUPS) for s in range(N_SUB)],
                      "parent": group_codes[sub_group]}),
    ], ignore_index=True)

    # ---- organisations --------------------------------------------------
    n_org = size["organisations"]
    # org 0..n_la-1 are the councils (one per LA), then trusts, then providers
    org_ids = _ids("SYN-O", n_org, 7)  # local ids: not claiming an org-id.guide list
    kind = np.full(n_org, 2, dtype=np.int8)  # 0 council, 1 trust, 2 provider
    kind[:n_la] = 0
    kind[n_la:n_la + n_trust] = 1
    home_ward = rng.integers(0, n_ward, n_org)
    # councils sit in their own LA
    home_ward[:n_la] = geo["la_first_ward"]
    home_la = geo["ward_la"][home_ward]
    sector = SECTORS[rng.choice(4, n_org, p=[0.7, 0.2, 0.05, 0.05])].astype(object)
    sector[kind == 0] = "public"
    sector[kind == 1] = np.where(rng.random(int((kind == 1).sum())) < 0.7, "vcse", "other")
    income = np.round(rng.lognormal(np.log(150_000), 1.5, n_org), -2)
    income[kind == 0] = np.round(rng.lognormal(np.log(300e6), 0.5, n_la), -5)
    charity = np.where((sector == "vcse") & (rng.random(n_org) < 0.8),
                       (1_000_000 + rng.permutation(n_org)).astype(str), "")
    prefix = np.where(kind == 0, "Synthetic Council ", np.where(kind == 1, "Synthetic Trust ", "Synthetic Provider "))
    organisations = pd.DataFrame({
        "id": org_ids, "name": np.char.add(prefix, np.arange(1, n_org + 1).astype(str)), "sector": sector,
        "income": income, "charity_number": charity, "company_number": "", "postcode": "",
        "place": ward_codes[home_ward],
    })

    # ---- services -------------------------------------------------------
    n_svc = size["services"]
    providers = np.flatnonzero(kind != 1)  # councils run in-house services too
    weight = 1.0 / (1 + rng.permutation(len(providers))) ** 0.8  # a few large providers, a long tail
    provider = rng.choice(providers, n_svc, p=weight / weight.sum())
    category = rng.integers(0, len(sub_codes), n_svc)
    la = home_la[provider]
    n_in_la = geo["per_la"][la]
    k = np.minimum(rng.geometric(0.45, n_svc), 6)
    k = np.minimum(k, n_in_la)
    first = geo["la_first_ward"][la] + (rng.random(n_svc) * (n_in_la - k + 1)).astype(np.int64)
    cols = [np.where(j < k, ward_codes[np.minimum(first + j, n_ward - 1)], "") for j in range(6)]
    areas = cols[0].astype(object)
    for j in range(1, 6):
        areas = np.where(k > j, areas + ";" + cols[j].astype(object), areas)
    la_wide = rng.random(n_svc) < 0.08
    areas = np.where(la_wide, la_codes[la], areas)
    pop_served = np.where(la_wide, la_pop[la], 8_000 * k)
    capacity = np.round(pop_served * rng.lognormal(np.log(0.01), 0.8, n_svc)).astype(float) + 1
    capacity[rng.random(n_svc) < 0.10] = np.nan
    s_start = rng.integers(-8 * 365, 400, n_svc)  # 2018 to early 2027
    ended = rng.random(n_svc) < 0.12
    # the ones still running end from early 2027 on (at least a year after they start)
    s_end = np.where(ended, rng.integers(-3 * 365, -1, n_svc),
                     np.maximum(s_start + 365, rng.integers(400, 6 * 365, n_svc)))
    s_start = np.where(ended, np.minimum(s_start, s_end - 30), s_start)
    open_ended = (~ended) & (rng.random(n_svc) < 0.6)
    svc_ids = _ids("SYN-S", n_svc, 7)
    services = pd.DataFrame({
        "id": svc_ids,
        "name": np.char.add("Synthetic service ", np.arange(1, n_svc + 1).astype(str)),
        "provider": org_ids[provider], "category": sub_codes[category], "areas": areas,
        "capacity": pd.array(np.where(np.isnan(capacity), np.nan, capacity)).astype("Int64"),
        "client_group": CLIENT_GROUPS[rng.integers(0, len(CLIENT_GROUPS), n_svc)],
        "start": _dates(s_start), "end": _blank(_dates(s_end), open_ended),
        "cost": np.round(rng.lognormal(np.log(60_000), 1.0, n_svc), -2),
    })

    # ---- needs ----------------------------------------------------------
    rate = rng.uniform(0.005, 0.06, len(sub_codes))
    ward_level = ~np.isin(sub_group, LA_LEVEL_GROUPS)
    wc = np.flatnonzero(ward_level)
    w_idx = np.repeat(np.arange(n_ward), len(wc))
    c_idx = np.tile(wc, n_ward)
    people_w = np.round(geo["ward_pop"][w_idx] * rate[c_idx] * rng.lognormal(0, 0.4, len(w_idx)))
    lc = np.flatnonzero(~ward_level)
    l_idx = np.repeat(np.arange(n_la), len(lc))
    lc_idx = np.tile(lc, n_la)
    people_l = np.round(la_pop[l_idx] * rate[lc_idx] * rng.lognormal(0, 0.2, len(l_idx)))
    need_place = np.concatenate([ward_codes[w_idx], la_codes[l_idx]])
    need_cat = np.concatenate([sub_codes[c_idx], sub_codes[lc_idx]])
    needs = pd.DataFrame({
        "id": need_place + "|" + need_cat + "|2025", "place": need_place, "category": need_cat,
        "people": np.concatenate([people_w, people_l]).astype(np.int64),
        "source": "synthetic", "period": "2025", "priority": "",
    })

    # ---- funding --------------------------------------------------------
    n_f = size["funding"]
    trusts = np.flatnonzero(kind == 1)
    named = rng.random(n_f) < 0.45
    svc_pick = rng.integers(0, n_svc, n_f)
    recipient = np.where(named, provider[svc_pick], rng.choice(providers, n_f, p=weight / weight.sum()))
    council_of = np.arange(n_la)  # council of LA i is org i
    from_council = rng.random(n_f) < 0.55
    tw = 1.0 / (1 + np.arange(len(trusts))) ** 0.7
    funder = np.where(from_council, council_of[home_la[recipient]], rng.choice(trusts, n_f, p=tw / tw.sum()))
    # a council does not fund itself: its in-house money comes from a trust instead
    self_funded = funder == recipient
    funder[self_funded] = rng.choice(trusts, int(self_funded.sum()))
    f_start = rng.integers(-5 * 365, 365, n_f)
    months = rng.choice([3, 6, 12, 12, 24, 36, 36, 60], n_f)
    f_end = f_start + np.round(months * 30.44).astype(np.int64) - 1
    f_open = rng.random(n_f) < 0.10
    amount = np.round(rng.lognormal(np.log(25_000), 1.2, n_f), -1)
    fund_ids = _ids("SYN-F", n_f, 8)
    funding = pd.DataFrame({
        "id": fund_ids, "funder": org_ids[funder], "recipient": org_ids[recipient], "amount": amount,
        "start": _dates(f_start), "end": _blank(_dates(f_end), f_open),
        "service": np.where(named, svc_ids[svc_pick], ""),
        "kind": FUNDING_KINDS[rng.choice(5, n_f, p=[0.5, 0.3, 0.1, 0.05, 0.05])],
        "programme": np.char.add("Synthetic programme ", rng.integers(1, 60, n_f).astype(str)),
        "currency": "GBP", "route": "",
    })

    # ---- partnerships ---------------------------------------------------
    n_p = size["partnerships"]
    m = int(n_p * 1.3) + 50
    a = rng.choice(providers, m, p=weight / weight.sum())
    # partners are mostly from the same LA: pick another organisation based there
    order = np.argsort(home_la, kind="stable")
    la_start = np.searchsorted(home_la[order], np.arange(n_la))
    la_count = np.bincount(home_la, minlength=n_la)
    local = order[la_start[home_la[a]] + (rng.random(m) * la_count[home_la[a]]).astype(np.int64)]
    b = np.where(rng.random(m) < 0.8, local, rng.integers(0, n_org, m))
    pkind = rng.integers(0, len(PARTNERSHIP_KINDS), m)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = pd.DataFrame({"lo": lo, "hi": hi, "kind": pkind})
    keep = (lo != hi) & ~pairs.duplicated().to_numpy()
    idx = np.flatnonzero(keep)[:n_p]
    p_start = rng.integers(-6 * 365, 200, len(idx))
    p_ended = rng.random(len(idx)) < 0.15
    p_end = p_start + rng.integers(180, 5 * 365, len(idx))
    partnerships = pd.DataFrame({
        "a": org_ids[a[idx]], "b": org_ids[b[idx]], "kind": PARTNERSHIP_KINDS[pkind[idx]],
        "start": _dates(p_start), "end": _blank(_dates(p_end), ~p_ended),
        "lead": np.where(rng.random(len(idx)) < 0.5, "a", ""),
    })

    tables = {"places": places, "categories": categories, "organisations": organisations,
              "services": services, "needs": needs, "funding": funding, "partnerships": partnerships}
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")
    return {name: int(len(df)) for name, df in tables.items()}
