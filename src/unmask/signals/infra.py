"""Shared infrastructure: accounts that signed up or logged in from the same IP address or
device, weighted by how rare what they share is.

Platforms keep such records (the optional ``infrastructure`` table: ``ip``, ``device``,
``email_domain``, ``phone_country`` with a time); outside researchers usually do not, and
then the signal says so in a note and links nothing.

Sharing is evidence in proportion to its rarity. Two accounts on one home IP address are
likely one operator; two accounts on a mobile carrier's NAT address, or both on
``gmail.com``, or both with a phone number from the same country, are not. The weight of a
shared value ``v`` of a field is its information, ``log2(N_f / n_v)`` bits (``N_f``
accounts have the field, ``n_v`` of them have ``v``): the frequency-based agreement weight
of record linkage (Fellegi & Sunter 1969, "A theory for record linkage", JASA 64; Winkler
1989 on value-specific frequencies). A pair's weight is the sum over fields of its rarest
shared value.

* Only ``link_fields`` (default IP and device) make a pair: a value of them used by 2 to
  ``max_accounts`` accounts, and by at most ``max_share`` of all accounts, links those
  accounts. A value used by more (a carrier-grade NAT address, a public proxy, a device
  model rather than a device) links nothing on its own: thousands of strangers share it. E-mail domains and phone countries only add their bits
  to pairs already linked.
* With ``window_days`` set, two accounts link through a value only when they used it within
  that time of each other (their first uses), and only where at least ``min_cohort``
  accounts used it within ``window_days`` (a *cohort*): a farm signs many accounts up
  through one proxy in the same week, a household has two or three accounts and the
  neighbours behind a carrier's NAT address join it over years. This is the time-locality
  of SynchroTrap (Cao et al. 2014, "Uncovering large groups of active malicious accounts in
  online social networks", CCS: many accounts acting from one IP in one time slot).
* Pairs are capped: within a value, accounts are ordered by their first use and each is
  paired with the next ``neighbours``, so a value of ``n`` accounts gives at most
  ``n * neighbours`` pairs, not ``n^2 / 2``.
* An edge needs ``min_bits`` in all; by default ``log2(N)`` for ``N`` accounts in the
  table: as much information as it takes to single out one account among all of them, the
  prior odds against a random pair being one operator's (Fellegi & Sunter's threshold with
  a uniform prior). A value of a home network that two accounts share plus one more
  agreement clears it; a carrier NAT address of twenty accounts alone does not. Its events say what was shared, by how many accounts,
  and when each account first used it.

The signal has no null model (its q-values are null): it vouches for its edges by
``max_accounts``, ``max_share``, ``window_days`` and ``min_bits``.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import pyarrow as pa

from unmask.engine.base import Engine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Signal, vouched_entry
from unmask.signals.significance import exact_sum

FIELDS = ("ip", "device", "email_domain", "phone_country")
VALUES_SCHEMA = pa.schema(
    [
        pa.field("field", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("bits", pa.float64(), nullable=False),
        pa.field("links", pa.bool_(), nullable=False),
    ]
)


# Meta's kill-chain procedure that accounts vouched for by this signal show.
CENTRAL_ACCESS = "3.3.1 Centralizing internet access"


class SharedInfrastructure(Signal):
    """Accounts sharing rare IPs or devices, weighted by rarity; see the module's docstring."""

    name = "infra"
    label = "shared infrastructure: IP addresses and devices"
    order = 40
    disarm = ("T0149.006",)  # IP Address Asset
    kill_chain = (CENTRAL_ACCESS,)
    empty_tables: ClassVar[dict[str, pa.Schema]] = {"values": VALUES_SCHEMA}
    kind = "edges"
    family = "infrastructure"
    reference = (
        "Fellegi & Sunter 1969 (record linkage weights, JASA 64); Winkler 1989 "
        "(frequency-based matching); Cao et al. 2014 (SynchroTrap, CCS)"
    )

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        return vouched_entry(op, cls.name, CENTRAL_ACCESS, "share IP addresses or devices")

    def __init__(
        self,
        link_fields: tuple[str, ...] = ("ip", "device"),
        max_accounts: int = 1000,
        max_share: float = 0.01,
        window_days: float | None = 7.0,
        min_cohort: int = 3,
        neighbours: int = 10,
        min_bits: float | None = None,
    ) -> None:
        self.link_fields = link_fields
        self.max_accounts = max_accounts
        self.max_share = max_share
        self.window_days = window_days
        self.min_cohort = min_cohort
        self.neighbours = neighbours
        self.min_bits = min_bits

    def _check(self) -> None:
        bad = set(self.link_fields) - set(FIELDS)
        if bad or not self.link_fields:
            raise ValueError(f"link_fields={self.link_fields!r}: choose from {FIELDS}")
        if int(self.max_accounts) < 2 or int(self.neighbours) < 1 or int(self.min_cohort) < 2:
            raise ValueError(
                "max_accounts and min_cohort must be at least 2 and neighbours at least 1"
            )
        if not 0 < float(self.max_share) <= 1:
            raise ValueError(f"max_share={self.max_share}: must be in (0, 1]")
        if self.window_days is not None and float(self.window_days) <= 0:
            raise ValueError("window_days must be positive (or None: any time)")

    def _run(self, engine: Engine, ev: Evidence) -> None:
        records = engine.count("infrastructure")
        ev.stats["records"] = records
        ev.tables["values"] = VALUES_SCHEMA.empty_table()
        if records == 0:
            ev.cannot_assess(
                "no infrastructure records (IPs, devices, e-mail domains, phone countries): "
                "nothing to link; platforms have them, exports for researchers usually do not"
            )
            return
        # (account, field, value) with the first and last time the account used the value.
        unpivot = " UNION ALL ".join(
            f"""SELECT platform, account_id, '{f}' AS field, CAST({f} AS VARCHAR) AS value, time
                FROM infrastructure WHERE {f} IS NOT NULL AND CAST({f} AS VARCHAR) <> ''"""
            for f in FIELDS
        )
        engine.create_table(
            "_inf_av",
            f"""SELECT platform, account_id, platform || '/' || account_id AS actor, field, value,
                       min(time) AS first_time, floor(epoch(min(time))) AS t
                FROM ({unpivot}) GROUP BY platform, account_id, field, value""",
        )
        links = ", ".join(f"'{f}'" for f in self.link_fields)
        n_acc = int(engine.scalar("SELECT count(DISTINCT actor) FROM _inf_av"))
        cap = max(2, min(int(self.max_accounts), int(float(self.max_share) * n_acc)))
        self._min_bits = math.log2(max(n_acc, 2)) if self.min_bits is None else float(self.min_bits)
        ev.stats.update(accounts=n_acc, max_accounts=cap, min_bits=round(self._min_bits, 2))
        engine.create_table(
            "_inf_val",
            f"""SELECT field, value, n AS accounts,
                       log2(CAST(total AS DOUBLE) / n) AS bits,
                       field IN ({links}) AND n >= 2 AND n <= {cap} AS links
                FROM (SELECT field, value, count(*) AS n,
                             sum(count(*)) OVER (PARTITION BY field) AS total
                      FROM (SELECT DISTINCT field, value, actor FROM _inf_av)
                      GROUP BY field, value)""",
        )
        ev.stats["linking_values"] = engine.scalar("SELECT count(*) FROM _inf_val WHERE links")
        ev.stats["crowded_values"] = engine.scalar(
            f"SELECT count(*) FROM _inf_val WHERE field IN ({links}) AND accounts > {cap}"
        )
        ev.tables["values"] = engine.fetch(
            "SELECT field, value, accounts, bits, links FROM _inf_val WHERE accounts >= 2 "
            "ORDER BY field, accounts DESC, value"
        ).cast(VALUES_SCHEMA)
        self._pairs(engine)
        self._edges(engine, ev)

    def _pairs(self, engine: Engine) -> None:
        k = int(self.neighbours)
        offsets = ", ".join(f"({i})" for i in range(1, k + 1))
        w = int(float(self.window_days) * 86400) if self.window_days is not None else None
        window = f"AND abs(x.t - y.t) <= {w}" if w is not None else ""
        frame = (
            f"ORDER BY a.t RANGE BETWEEN {w} PRECEDING AND {w} FOLLOWING" if w is not None else ""
        )
        engine.create_table(
            "_inf_pairs",
            f"""WITH c AS (
                  -- the cohort: accounts that first used the value around the same time
                  SELECT a.actor, a.field, a.value, a.t,
                         count(*) OVER (PARTITION BY a.field, a.value {frame}) AS cohort
                  FROM _inf_av a JOIN _inf_val v
                    ON v.field = a.field AND v.value = a.value AND v.links),
                r AS (
                  SELECT actor, field, value, t,
                         row_number() OVER (PARTITION BY field, value ORDER BY t, actor) AS i
                  FROM c WHERE cohort >= {int(self.min_cohort)})
                SELECT DISTINCT CASE WHEN x.actor < y.actor THEN x.actor ELSE y.actor END AS a,
                                CASE WHEN x.actor < y.actor THEN y.actor ELSE x.actor END AS b
                FROM r x CROSS JOIN (VALUES {offsets}) AS o(off)
                JOIN r y ON y.field = x.field AND y.value = x.value AND y.i = x.i + o.off
                {window}""",
        )

    def _edges(self, engine: Engine, ev: Evidence) -> None:
        # Every value a linked pair shares, in any field (its bits count once per field:
        # the rarest shared value of the field).
        engine.create_table(
            "_inf_shared",
            """SELECT p.a, p.b, x.field, x.value, v.accounts, v.bits,
                      x.platform AS platform_a, x.account_id AS account_a,
                      y.platform AS platform_b, y.account_id AS account_b,
                      x.first_time AS time_a, y.first_time AS time_b,
                      row_number() OVER (PARTITION BY p.a, p.b, x.field
                                         ORDER BY v.bits DESC, x.value) AS rank_in_field
               FROM _inf_pairs p
               JOIN _inf_av x ON x.actor = p.a
               JOIN _inf_av y ON y.actor = p.b AND y.field = x.field AND y.value = x.value
               JOIN _inf_val v ON v.field = x.field AND v.value = x.value""",
        )
        keep = f"""SELECT a, b FROM _inf_shared WHERE rank_in_field = 1 GROUP BY a, b
                   HAVING {exact_sum("bits")} >= {self._min_bits}"""
        events = engine.fetch(
            f"""SELECT '{self.name}' AS signal, s.platform_a, s.account_a, s.platform_b,
                       s.account_b,
                       s.field || ' ' || s.value || ' (' || CAST(s.accounts AS VARCHAR)
                         || ' accounts, ' || CAST(round(s.bits, 1) AS VARCHAR) || ' bits)'
                         AS target,
                       CAST(NULL AS VARCHAR) AS activity_a, CAST(NULL AS VARCHAR) AS activity_b,
                       s.time_a, s.time_b,
                       CAST(abs(floor(epoch(s.time_a)) - floor(epoch(s.time_b))) AS DOUBLE)
                         AS lag_seconds
                FROM _inf_shared s JOIN ({keep}) k ON k.a = s.a AND k.b = s.b
                ORDER BY s.platform_a, s.account_a, s.platform_b, s.account_b, target"""
        )
        ev.events = events.cast(EVENT_SCHEMA)
        edges = engine.fetch(
            f"""SELECT '{self.name}' AS signal, min(s.platform_a) AS platform_a,
                       min(s.account_a) AS account_a, min(s.platform_b) AS platform_b,
                       min(s.account_b) AS account_b,
                       {exact_sum("CASE WHEN s.rank_in_field = 1 THEN s.bits ELSE 0.0 END")}
                         AS weight,
                       count(*) AS count, CAST(NULL AS DOUBLE) AS p_value,
                       CAST(NULL AS DOUBLE) AS q_value,
                       least(min(s.time_a), min(s.time_b)) AS first_time,
                       greatest(max(s.time_a), max(s.time_b)) AS last_time,
                       'shared ' || array_to_string(list_sort(
                           list(s.field || ' ' || s.value) FILTER (WHERE s.rank_in_field = 1)),
                           ', ') AS reason
                FROM _inf_shared s JOIN ({keep}) k ON k.a = s.a AND k.b = s.b
                GROUP BY s.a, s.b
                ORDER BY platform_a, account_a, platform_b, account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.stats["pairs"] = engine.count("_inf_pairs")
        ev.stats["edges"] = ev.edges.num_rows
