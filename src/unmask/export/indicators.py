"""A detect run's operations as a CSV in the shape of Meta's published indicator files.

Meta's threat-research files (``facebookresearch/threat-research``) have the columns
``Tactic,Technique,Procedure,Indicator,Note``: one row per indicator, tagged with the Online
Operations Kill Chain procedure it shows. They count the accounts of a platform in a row
("7,704 Facebook accounts"), list profile links and domains one per row, describe other
behaviours in words, and defang every link and domain (``https://twitter[.]com/name``,
``amc239[.]com``) so that nobody opens one by accident. This file does the same, so that
``unmask.catalogue.read_meta`` (and any tool that reads Meta's files) reads unmask's findings
as it reads Meta's. The Note says which unmask operation and signals a row comes from.

With a :class:`~unmask.export.findings.Privacy` key, accounts are listed by their keyed hash
(``hmac-sha256:…`` of the platform and ``@handle``, or of the account id) instead of a
profile link, and no text is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from unmask.export import sheet, ttp
from unmask.export.findings import Privacy, read_run
from unmask.operations import _ACQUIRING, ACQUIRING_OTHER, OWN_DOMAINS
from unmask.rundir import Asset, Operation

COLUMNS = ("Tactic", "Technique", "Procedure", "Indicator", "Note")
# Profile links as Meta's files write them, by platform; {h}: handle, {i}: account id.
PROFILE = {
    "x": "https://twitter.com/{h}",
    "instagram": "https://www.instagram.com/{h}",
    "tiktok": "https://www.tiktok.com/@{h}",
    "telegram": "https://t.me/{h}",
    "youtube": "https://www.youtube.com/@{h}",
    "reddit": "https://www.reddit.com/user/{h}",
    "medium": "https://medium.com/@{h}",
}
PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "telegram": "Telegram",
    "youtube": "YouTube",
    "reddit": "Reddit",
    "medium": "Medium",
    "threads": "Threads",
}
_HOST = re.compile(r"\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z])\b", re.I)


def defang(text: str) -> str:
    """Every host name in ``text`` with its last dot as ``[.]``, as Meta's files write them
    (``https://www.youtube[.]com/@name``; the scheme is left as it is)."""
    return _HOST.sub(lambda m: "[.]".join(m.group(1).rsplit(".", 1)), text)


# The platforms' own hosts: an account's ``url`` elsewhere is a link its profile shows (an
# X profile's website, a brand's shop), not the profile itself.
PLATFORM_HOSTS = {
    "x": ("twitter.com", "x.com"),
    "facebook": ("facebook.com", "fb.com"),
    "instagram": ("instagram.com",),
    "tiktok": ("tiktok.com",),
    "telegram": ("t.me", "telegram.me"),
    "youtube": ("youtube.com",),
    "reddit": ("reddit.com",),
    "medium": ("medium.com",),
}


def _on_platform(url: str, platform: str) -> bool:
    hosts = PLATFORM_HOSTS.get(platform)
    if hosts is None:
        return True  # a blog's own site is its profile
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in hosts)


def profile_link(acc: Asset) -> str | None:
    """The account's profile link, or None when its platform has no link form known here."""
    if acc.url and _on_platform(acc.url, acc.platform):
        return acc.url
    if acc.platform == "facebook" and acc.account_id.isdigit():
        return f"https://www.facebook.com/profile.php?id={acc.account_id}"
    if acc.handle and acc.platform in PROFILE:
        return PROFILE[acc.platform].format(h=acc.handle, i=acc.account_id)
    return None


def _row(procedure: str, indicator: str, note: str) -> dict[str, str]:
    return {
        "Tactic": ttp.meta_tactic(procedure),
        "Technique": ttp.meta_technique(procedure),
        "Procedure": procedure,
        "Indicator": indicator,
        "Note": note,
    }


def _kind_name(platform: str, kind: str, n: int) -> str:
    name = PLATFORM_NAMES.get(platform, platform)
    return f"{n:,} {name} {kind}{'s' if n != 1 else ''}"


def rows(op: Operation) -> list[dict[str, str]]:
    """The operation's rows: counts per platform and kind, each account, each own domain,
    and the other kill-chain procedures with their evidence in words."""
    note = f"unmask operation {op.cluster_id}"
    out = []
    for platform, kinds in sorted(op.figures["assets"]["by_platform"].items()):
        procedure = _ACQUIRING.get(platform, ACQUIRING_OTHER)
        for kind, n in sorted(kinds.items()):
            out.append(_row(procedure, _kind_name(platform, kind, n), note))
    for acc in op.assets:
        procedure = _ACQUIRING.get(acc.platform, ACQUIRING_OTHER)
        signals = f"{note}; {acc.platform} {acc.kind}; signals: {', '.join(acc.signals) or '-'}"
        if op.private:
            value = f"hmac-sha256:{acc.handle or acc.account_id}"
        else:
            value = profile_link(acc) or f"{acc.platform} {acc.kind} {acc.handle or acc.account_id}"
        out.append(_row(procedure, defang(value), signals))
    for domain in op.domains:
        out.append(_row(OWN_DOMAINS, defang(domain), f"{note}; linked almost only by it"))
    for k in op.figures.get("killchain", []):
        if k["procedure"].startswith(("0.9.", ttp.procedure_number(OWN_DOMAINS))):
            continue  # listed above, asset by asset
        disarm = ", ".join(ttp.disarm_for(k["procedure"]))
        out.append(
            _row(
                k["procedure"],
                defang(k["evidence"]),
                note + (f"; DISARM v{ttp.DISARM_VERSION}: {disarm}" if disarm else ""),
            )
        )
    return out


def write_csv(ops: Iterable[Operation], path: Path) -> Path:
    """Write the operations' rows to ``path``."""
    return sheet.write_rows((r for op in ops for r in rows(op)), path, COLUMNS)


def write(run_dir: Path, path: Path, *, privacy: Privacy | None = None) -> Path:
    """Write the run's indicator CSV (every operation) to ``path``."""
    _, ops = read_run(run_dir, privacy)
    return write_csv(ops, path)
