"""Account records, infrastructure records and the ground truth beside the store.

``TRUTH/accounts.parquet``  one row per account of the world: platform, account_id,
                            operation_id (NULL for authentic accounts), role, group
                            ('ordinary' or the hard-negative group; NULL for operations)
``TRUTH/operations.json``   each operation: id, type, parameters, assets per role and
                            platform, and what it used (domains, hashtags, images, …)
``TRUTH/negatives.json``    the hard-negative groups and their events
``TRUTH/vendors.json``      follower vendors (only when the scenario has some): pool,
                            customers, who bought
``TRUTH/scenario.toml``     the scenario as given (merged, with ``extends``); ``run.json``: seed, scale, counts
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from unmask import schema
from unmask.simulate import identity
from unmask.simulate.population import (
    BIO_GENERIC,
    BIO_NONE,
    BIO_ORDINARY,
    BIO_OVERRIDE,
    GROUPS,
    IMAGE_NONE,
    IMAGE_UNIQUE,
    ROLES,
)
from unmask.simulate.records import kind_names, language_names, platform_names
from unmask.simulate.scenario import KINDS, PLATFORMS

TRUTH_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("operation_id", pa.string()),
        pa.field("role", pa.string(), nullable=False),
        pa.field("group", pa.string()),
    ]
)
BLOCK = 200_000
_SITE = {
    "facebook": "https://facebook.com/",
    "instagram": "https://instagram.com/",
    "x": "https://x.com/",
    "youtube": "https://youtube.com/@",
    "tiktok": "https://tiktok.com/@",
    "reddit": "https://reddit.com/user/",
    "medium": "https://medium.com/@",
    "blog": "https://blogs.example.net/",
    "telegram": "https://t.me/",
}


class AccountTruthWriter:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(path, TRUTH_SCHEMA, compression="zstd")

    def __enter__(self) -> AccountTruthWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.writer.close()

    def write(self, t: pa.Table) -> None:
        self.writer.write_table(t)


def _image_hashes(seed: int, idx: np.ndarray, code: np.ndarray) -> pa.Array:
    unique = identity.hash64(seed, 201, idx.astype(np.uint64) + np.uint64(1 << 41))
    key = np.maximum(code, 0) >> 8
    flip = np.maximum(code, 0) & 0xFF
    pooled = identity.hash64(seed, 201, key) ^ np.where(
        flip > 0,
        np.left_shift(np.uint64(1), np.maximum(flip - 1, 0).astype(np.uint64)),
        np.uint64(0),
    )
    values = np.where(code == IMAGE_UNIQUE, unique, pooled)
    return pc.if_else(
        pa.array(code == IMAGE_NONE), pa.scalar(None, pa.string()), identity.hex64(values)
    )


# What an export without profiles lacks (``[world] profiles = false``): it keeps handles,
# names, follower counts and languages.
PROFILE_COLUMNS = ("created_at", "description", "profile_image_hash", "location", "url")


def without_profiles(acc: pa.Table) -> pa.Table:
    """``acc`` with its profile columns empty."""
    for name in PROFILE_COLUMNS:
        i = acc.schema.get_field_index(name)
        acc = acc.set_column(
            i, acc.schema.field(i), pa.nulls(acc.num_rows, acc.schema.field(i).type)
        )
    return acc


def accounts(world, first_row: int) -> Iterator[tuple[pa.Table, pa.Table]]:
    reg = world.registry
    n_all = len(reg)
    op_ids = pa.array([op.cfg.id for op in world.operations] or [""], type=pa.string())
    role_a = pa.array(ROLES, type=pa.string())
    group_a = pa.array(GROUPS, type=pa.string())
    generic = pa.array(identity.GENERIC_BIOS, type=pa.string())
    verified_at = np.quantile(reg.followers, 0.995) if n_all else 0
    for lo in range(0, n_all, BLOCK):
        hi = min(lo + BLOCK, n_all)
        idx = np.arange(lo, hi, dtype=np.int64)
        n = hi - lo
        ids = identity.account_ids(world.seed, idx)
        plat = platform_names(reg.platform[idx])
        handles = world.handles(idx)
        names = identity.display_names(world.seed, idx, reg.style[idx], reg.lang[idx])
        bio_code = reg.bio[idx]
        ordinary_bio = identity.bios(world.seed, idx, reg.lang[idx])
        gen = generic.take(
            pa.array(
                (identity.hash64(world.seed, 304, idx) % np.uint64(len(generic))).astype(np.int64)
            )
        )
        gen = pc.if_else(pc.equal(gen, ""), pa.scalar(None, pa.string()), gen)
        desc = pc.if_else(pa.array(bio_code == BIO_GENERIC), gen, ordinary_bio)
        desc = pc.if_else(pa.array(bio_code == BIO_NONE), pa.scalar(None, pa.string()), desc)
        kinds = kind_names(reg.kind[idx])
        is_page = reg.kind[idx] != KINDS.index("account")
        site = pa.array([_SITE[p] for p in PLATFORMS]).take(pa.array(reg.platform[idx]))
        url = pc.if_else(
            pa.array(is_page),
            pc.binary_join_element_wise(site, handles, ""),
            pa.scalar(None, pa.string()),
        )
        location = _locations(world, idx)
        special = [i for i, k in enumerate(idx) if int(k) in reg.overrides]
        if special:
            cols = {"handle": handles, "display_name": names, "description": desc, "url": url}
            py = {k: v.to_pylist() for k, v in cols.items()}
            for i in special:
                for k, v in reg.overrides[int(idx[i])].items():
                    py[k][i] = v
            handles, names, desc, url = (
                pa.array(py[k], type=pa.string())
                for k in ("handle", "display_name", "description", "url")
            )
        followers = reg.followers[idx].astype(np.int64)
        acc = pa.table(
            {
                "platform": plat,
                "account_id": ids,
                "kind": kinds,
                "handle": handles,
                "display_name": names,
                "created_at": pa.array(reg.created[idx] * 1_000_000, type=schema.TIME),
                "followers": pa.array(followers),
                "following": pa.array(reg.following[idx].astype(np.int64)),
                "description": desc,
                "profile_image_hash": _image_hashes(world.seed, idx, reg.image[idx]),
                "language": language_names(reg.lang[idx]),
                "location": location,
                "verified": pa.array((followers >= max(verified_at, 50)) & (reg.op[idx] < 0)),
                "url": url,
                "observed_at": pa.array(np.full(n, world.t_end * 1_000_000), type=schema.TIME),
                "source_file": pa.array([world.file_id]).take(
                    pa.array(np.zeros(n, dtype=np.int32))
                ),
                "source_row": pa.array(np.arange(first_row + lo, first_row + hi, dtype=np.int64)),
            },
            schema=schema.ACCOUNTS,
        )
        op = reg.op[idx]
        grp = reg.group[idx]
        tru = pa.table(
            {
                "platform": plat,
                "account_id": ids,
                "operation_id": op_ids.take(
                    pa.array(np.maximum(op, 0).astype(np.int64), mask=op < 0)
                ),
                "role": role_a.take(pa.array(reg.role[idx].astype(np.int64))),
                "group": group_a.take(
                    pa.array(np.maximum(grp, 0).astype(np.int64), mask=(grp < 0) | (op >= 0))
                ),
            },
            schema=TRUTH_SCHEMA,
        )
        yield acc, tru


def _locations(world, idx: np.ndarray) -> pa.Array:
    reg = world.registry
    regions = world.layout.regions
    values: list[str | None] = []
    h = identity.hash64(world.seed, 305, idx)
    for i, k in enumerate(idx):
        r = int(reg.region[k])
        if r < 0:
            values.append(None)
            continue
        reg_cfg = regions[r]
        if reg_cfg.cities and h[i] % np.uint64(4) != 0:
            values.append(reg_cfg.cities[int(h[i] % np.uint64(len(reg_cfg.cities)))])
        else:
            values.append(reg_cfg.country if h[i] % np.uint64(3) == 0 else None)
    return pa.array(values, type=pa.string())


# -- infrastructure ----------------------------------------------------------------------

_DEVICES = [
    "iPhone 14",
    "iPhone 13",
    "iPhone 15 Pro",
    "Galaxy S23",
    "Galaxy A54",
    "Pixel 8",
    "Redmi Note 12",
    "Chrome on Windows",
    "Safari on macOS",
    "Firefox on Linux",
    "Huawei P60",
    "OPPO Reno10",
]
_EMAIL = {
    "en": ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com"],
    "zh": ["qq.com", "163.com", "gmail.com", "hotmail.com"],
    "ja": ["yahoo.co.jp", "gmail.com", "docomo.ne.jp", "icloud.com"],
    "ko": ["naver.com", "daum.net", "gmail.com"],
    "ru": ["mail.ru", "yandex.ru", "gmail.com"],
    "de": ["web.de", "gmx.de", "gmail.com", "t-online.de"],
    "fr": ["orange.fr", "free.fr", "gmail.com"],
    "es": ["gmail.com", "hotmail.es", "yahoo.es"],
    "pt": ["gmail.com", "hotmail.com", "uol.com.br"],
}
_OP_INFRA = {
    "spamouflage": {
        "devices": ["Android Emulator x86", "Redmi Note 8"],
        "emails": ["mail.tm", "tmpmail.org", "outlook.com"],
        "phones": ["BD", "VN", "NG", "ID"],
        "proxy": (45, 134),
    },
    "doppelganger": {
        "devices": ["Chrome on Windows", "Chrome Headless"],
        "emails": ["proton.me", "gmx.com", "mail.ru"],
        "phones": ["RU", "KZ", "AM"],
        "proxy": (185, 220),
    },
    "careful": {
        "devices": ["iPhone 14", "Chrome on Windows"],
        "emails": ["gmail.com", "outlook.com"],
        "phones": ["US"],
        "proxy": (104, 28),
    },
}


# Share of sign-ups with the operation's own kit (device, e-mail, phone) is
# min(1, own_infrastructure / KIT_AT): at the default 0.7 all of them, as it always was (the
# sign-ups off its proxies kept their emulators), and none at 0.
KIT_AT = 0.7


def _plausible_regions(world, langs: np.ndarray, h: np.ndarray) -> np.ndarray:
    """A region whose people speak each account's language (weighted as the population
    is), picked by hash: where a residential sign-up pretends to be from."""
    from unmask.simulate.scenario import LANGUAGES

    regions = world.layout.regions
    out = np.zeros(len(langs), dtype=np.int64)
    u = (h % np.uint64(1_000_000)).astype(np.float64) / 1e6
    for code in np.unique(langs):
        w = np.array([r.weight * r.languages.get(LANGUAGES[int(code)], 0.0) for r in regions])
        if w.sum() <= 0:
            w = np.array([r.weight for r in regions], dtype=float)
        cdf = np.cumsum(w) / w.sum()
        sel = langs == code
        out[sel] = np.minimum(np.searchsorted(cdf, u[sel], side="right"), len(regions) - 1)
    return out


def _own_shares(world, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per account: its owner's ``own_infrastructure`` (NaN for people) and the vendor it
    belongs to (-1 if none)."""
    reg = world.registry
    ops = reg.op[idx]
    own = np.array([op.cfg.evasion.own_infrastructure for op in world.operations] + [np.nan])
    share = own[np.where(ops >= 0, ops, len(own) - 1)]
    vendor = np.full(len(idx), -1, dtype=np.int64)
    for v in getattr(world, "vendors", {}).values():
        if len(v.accounts):
            sel = (idx >= v.accounts[0]) & (idx <= v.accounts[-1])
            vendor[sel] = v.index
            share[sel] = v.cfg.own_infrastructure
    return share, vendor


def infrastructure(world, first_row: int) -> Iterator[pa.Table]:
    """One sign-up record per account: ordinary people on home or mobile networks (a few
    behind shared carrier NAT addresses), operations and vendors mostly on a handful of
    proxies (``own_infrastructure``), the rest residential."""
    from unmask.simulate.vendors import VENDOR_INFRA, vendor_proxy

    reg = world.registry
    regions = world.layout.regions
    n_all = len(reg)
    from unmask.simulate.scenario import LANGUAGES

    for lo in range(0, n_all, BLOCK):
        hi = min(lo + BLOCK, n_all)
        idx = np.arange(lo, hi, dtype=np.int64)
        n = len(idx)
        h = [identity.hash64(world.seed, 500 + j, idx) for j in range(6)]
        octs = [(h[j] % np.uint64(254)).astype(np.int64) + 1 for j in range(4)]
        region = reg.region[idx].astype(np.int64)
        share, vendor = _own_shares(world, idx)
        managed = ~np.isnan(share)
        # A sign-up's place in [0, 1): below the share it used the owner's proxies (at 0.7
        # exactly those with h % 10 < 7, as before).
        frac = ((h[1] >> np.uint64(24)) % np.uint64(1000)).astype(np.float64) / 1000
        u = ((h[1] % np.uint64(10)).astype(np.float64) + frac) / 10
        share0 = np.nan_to_num(share)
        proxied = managed & (u < share0)
        kit = managed & (u < np.minimum(1.0, share0 / KIT_AT))
        residential = managed & ~kit
        if residential.any():
            # They look like people of a region that speaks their language.
            sel = np.flatnonzero(residential & (region < 0))
            h_region = identity.hash64(world.seed, 510, idx[sel])
            region[sel] = _plausible_regions(world, reg.lang[idx[sel]], h_region)
        # Carrier NAT: 10% share one of 40 addresses of their region.
        nat = (h[4] % np.uint64(10)) == 0
        octs[0] = np.where(nat, 100, 20 + (np.maximum(region, 0) * 13) % 200 + (octs[0] % 7))
        octs[1] = np.where(nat, 64 + np.maximum(region, 0), octs[1])
        octs[2] = np.where(nat, 1, octs[2])
        octs[3] = np.where(nat, (h[5] % np.uint64(40)).astype(np.int64) + 1, octs[3])
        device_i = (h[5] % np.uint64(len(_DEVICES))).astype(np.int64)
        devices = pa.array(_DEVICES).take(pa.array(device_i)).to_pylist()
        langs = reg.lang[idx]
        emails, phones = [], []
        for i in range(n):
            lang = LANGUAGES[int(langs[i])]
            pool = _EMAIL.get(lang, _EMAIL["en"])
            emails.append(pool[int(h[0][i] % np.uint64(len(pool)))])
            r = int(region[i])
            phones.append(regions[r].country if r >= 0 else None)
        ops = reg.op[idx]
        for k in np.flatnonzero(kit):
            hv = int(h[1][k])
            if ops[k] >= 0:
                op = world.operations[int(ops[k])]
                spec = _OP_INFRA[op.cfg.type]
                a, b = spec["proxy"]
                c = 7 + int(ops[k])
            else:
                spec = VENDOR_INFRA
                (a, b), c = vendor_proxy(int(vendor[k])), 7
            if proxied[k]:  # most sign-ups go through the owner's proxies
                octs[0][k], octs[1][k], octs[2][k], octs[3][k] = a, b, c, 1 + hv % 30
            devices[k] = spec["devices"][hv % len(spec["devices"])]
            emails[k] = spec["emails"][(hv >> 8) % len(spec["emails"])]
            phones[k] = spec["phones"][(hv >> 16) % len(spec["phones"])]
        # Hard negatives on a shared network (an office block, an event's Wi-Fi).
        from unmask.simulate.negatives import infrastructure_overrides

        infrastructure_overrides(world, idx, octs, devices, emails)
        ip = pc.binary_join_element_wise(*(pc.cast(pa.array(o), pa.string()) for o in octs), ".")
        yield pa.table(
            {
                "platform": platform_names(reg.platform[idx]),
                "account_id": identity.account_ids(world.seed, idx),
                "time": pa.array(reg.created[idx] * 1_000_000, type=schema.TIME),
                "ip": ip,
                "device": pa.array(devices, type=pa.string()),
                "email_domain": pa.array(emails, type=pa.string()),
                "phone_country": pa.array(phones, type=pa.string()),
                "source_file": pa.array([world.file_id]).take(
                    pa.array(np.zeros(n, dtype=np.int32))
                ),
                "source_row": pa.array(np.arange(first_row + lo, first_row + hi, dtype=np.int64)),
            },
            schema=schema.INFRASTRUCTURE,
        )


# -- files ---------------------------------------------------------------------------------


def write_files(world, truth_dir: Path, scenario, seed: int, scale: float) -> None:
    truth_dir.mkdir(parents=True, exist_ok=True)
    ops = [op.truth() for op in world.operations]
    for op in ops:
        op["infrastructure"] = {k: v for k, v in _OP_INFRA[op["type"]].items() if k != "proxy"} | {
            "proxy_prefix": "{}.{}".format(*_OP_INFRA[op["type"]]["proxy"])
        }
    _dump(truth_dir / "operations.json", {"operations": ops})
    _dump(truth_dir / "negatives.json", world.negatives.describe(world))
    if world.vendors:
        _dump(truth_dir / "vendors.json", {"vendors": [v.truth() for v in world.vendors.values()]})
    (truth_dir / "scenario.toml").write_text(scenario.source_text, encoding="utf-8")
    reg = world.registry
    _dump(
        truth_dir / "run.json",
        {
            "scenario": scenario.source_name,
            "seed": seed,
            "scale": scale,
            "start": world.t_start,
            "end": world.t_end,
            "accounts": len(reg),
            "operation_accounts": int((reg.op >= 0).sum()),
            "file_id": world.file_id,
        },
    )


def _dump(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n", encoding="utf-8"
    )


def _default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


__all__ = ["BIO_ORDINARY", "BIO_OVERRIDE", "accounts", "infrastructure", "write_files"]
