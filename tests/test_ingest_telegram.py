"""Telegram Desktop JSON exports (result.json): one channel, and a full-account export.

The fixtures follow what Telegram Desktop's exporter writes
(telegramdesktop/tdesktop, ``Telegram/SourceFiles/export/output/export_output_json.cpp``):
a chat is ``{"name", "type", "id", "messages"}`` (``id`` bare, ``type`` one of
public_channel, private_supergroup, personal_chat, saved_messages, ...; saved messages have
no name); a message has ``id``, ``type`` (``message``, ``service`` or ``unsupported``),
``date`` (the exporting computer's local time, here UTC+1), ``date_unixtime`` (a string),
``edited``/``edited_unixtime``, ``from``, ``from_id`` (``user<id>``, ``channel<id>``,
``chat<id>``), ``author`` (a channel's signature), ``forwarded_from`` (a name, ``null`` when
the origin is hidden), ``reply_to_message_id``, ``photo``/``file`` (relative paths, or
"(File not included. ...)"), ``text`` (a string, or a list of strings and entity objects)
and ``text_entities`` (plain, bold, link, text_link with href, hashtag, mention,
mention_name with user_id, ...). Service messages carry ``actor``/``actor_id``/``action``.
The full-account export wraps chats in ``{"about", "personal_information", "contacts",
"frequent_contacts", "chats": {"about", "list"}, "left_chats": {"about", "list"}}``.
Channels, people and messages are made up.

``telegram_channel.json``, message objects in order (the row numbers): 1 service
(create_channel), 2 a plain post, 3 hashtags + link + mention, 4 a photo with a text_link
caption (edited), 5 forwarded from "Truth Wave Daily", 6 forwarded from a hidden origin,
7 a reply to 3, 8 date_unixtime "soon", 9 "unsupported", 10 no date_unixtime (older
exports), 11 service (pin_message), 12 id "twelve", 13 a link without scheme, signed
"Admin Ann", 14 a video file with a hashtag.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import detect_adapter, get_adapter, read_head

FIXTURES = Path(__file__).parent / "fixtures"
CHANNEL = FIXTURES / "telegram_channel.json"
FULL = FIXTURES / "telegram_full_export.json"
CH = "channel1843220771"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _messages(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if "messages" in data:
        return data["messages"]
    return [m for key in ("chats", "left_chats") for c in data[key]["list"] for m in c["messages"]]


@pytest.fixture
def channel(store):
    return ingest_file(store, CHANNEL).manifest, store.connect()


def test_channel_counts_leave_out_service_messages(channel):
    m, con = channel
    msgs = _messages(CHANNEL)
    assert m.adapter == "telegram"
    service = [x for x in msgs if x["type"] == "service"]
    assert len(msgs) == 14 and len(service) == 2
    assert m.rows_read == len(msgs) - len(service) == 12
    assert (m.rows_stored, m.rows_duplicate, m.rows_quarantined) == (9, 0, 3)
    assert m.rows_read == m.rows_stored + m.rows_merged + m.rows_duplicate + m.rows_quarantined
    # Rows are ordinals among all message objects: service messages keep their places.
    rows = [r[0] for r in con.execute("SELECT source_row FROM activities ORDER BY 1").fetchall()]
    assert rows == [2, 3, 4, 5, 6, 7, 10, 13, 14]


def test_channel_posts_against_the_file(channel):
    _, con = channel
    msgs = {m["id"]: m for m in _messages(CHANNEL) if isinstance(m["id"], int)}
    acts = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT activity_id, platform, account_id, time, kind, text, urls, hashtags, mentions,"
            " parent_activity_id, parent_account_id FROM activities"
        ).fetchall()
    }
    m2 = msgs[2]
    assert acts[f"{CH}/2"] == (
        "telegram",
        m2["from_id"],
        datetime.fromtimestamp(int(m2["date_unixtime"]), UTC),  # not the local "date"
        "post",
        m2["text"],
        [],
        [],
        [],
        None,
        None,
    )
    # Text as a list of strings and entities; hashtags, links, mentions from the entities.
    _, _, t, kind, text, urls, tags, mentions, _, _ = acts[f"{CH}/3"]
    assert text == "".join(e["text"] for e in msgs[3]["text_entities"])
    assert urls == ["https://truthwave.example/articles/election-stolen-proof"]  # utm dropped
    assert (tags, mentions, kind) == (["election2020", "stopthesteal"], ["truthwavedaily"], "post")
    assert t == _utc(2021, 1, 6, 20, 20, 55)
    # text_link: the link is its href, the text its words.
    assert acts[f"{CH}/4"][4:6] == (
        "Photo from Main Street. Full story",
        ["https://bayareaherald.example/2021/01/06/capitol-crowds"],
    )
    # Forwards are shares; the source's name stands for it when the file has no id for it.
    assert acts[f"{CH}/5"][3] == "share" and acts[f"{CH}/5"][9] == "Truth Wave Daily"
    assert acts[f"{CH}/6"][3] == "share" and acts[f"{CH}/6"][9] is None  # hidden origin
    # A reply points at the replied-to message and its author.
    assert acts[f"{CH}/7"][3] == "reply"
    assert acts[f"{CH}/7"][8:] == (f"{CH}/3", CH)
    # No date_unixtime: the local "date" is read as UTC.
    assert acts[f"{CH}/10"][2] == _utc(2021, 1, 7, 10, 0)
    # A link entity without a scheme gets http://.
    assert acts[f"{CH}/13"][5] == ["http://truthwave.example/watch/1093327514520119"]
    assert acts[f"{CH}/14"][6] == ["stopthesteal"]


def test_channel_is_an_account(channel):
    _, con = channel
    got = con.execute("SELECT platform, account_id, kind, display_name FROM accounts").fetchall()
    assert got == [("telegram", CH, "channel", "Harbor Truth Network")]


def test_channel_quarantine(channel):
    m, con = channel
    q = con.execute(
        "SELECT source_file, path, row, field, reason, raw FROM quarantine ORDER BY row"
    ).fetchall()
    assert {(r[0], r[1]) for r in q} == {(m.file_id, str(CHANNEL))}
    assert [(r[2], r[3]) for r in q] == [(8, "date_unixtime"), (9, "type"), (12, "id")]
    assert "'soon' as unix seconds" in q[0][4]
    assert "'unsupported'" in q[1][4]
    assert "'twelve' is not a message number" in q[2][4]
    assert json.loads(q[0][5])["id"] == 8  # the message as it was


def test_timezone_option_reads_local_dates(store):
    m = ingest_file(store, CHANNEL, options={"timezone": "Europe/Berlin"}).manifest
    assert m.reconciles
    con = store.connect()
    t = con.execute(f"SELECT time FROM activities WHERE activity_id = '{CH}/10'").fetchone()[0]
    assert t == _utc(2021, 1, 7, 9, 0)  # 10:00 in Berlin (UTC+1 in January)
    # date_unixtime still wins where it is there.
    t = con.execute(f"SELECT time FROM activities WHERE activity_id = '{CH}/2'").fetchone()[0]
    assert t == _utc(2021, 1, 6, 20, 20, 20)


def test_full_export(store):
    m = ingest_file(store, FULL).manifest
    msgs = _messages(FULL)
    assert len(msgs) == 11
    assert (m.rows_read, m.rows_stored, m.rows_duplicate, m.rows_quarantined) == (10, 9, 0, 1)
    con = store.connect()
    acts = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT activity_id, account_id, kind, text, urls, hashtags, parent_activity_id, "
            "parent_account_id, source_row FROM activities"
        ).fetchall()
    }
    g = "channel1701122334"  # a supergroup: a channel to Telegram, a group to us
    assert acts[f"{g}/101"][:2] == ("user6011111111", "post")
    assert acts[f"{g}/101"][4] == ["stopthesteal"]
    assert acts[f"{g}/102"][1:] == (
        "reply",
        "Yes, it is everywhere.",
        [],
        [],
        f"{g}/101",
        "user6011111111",
        3,
    )
    # Forwarded from a channel that is in the export (among the left chats): its id.
    assert acts[f"{g}/103"][1] == "share" and acts[f"{g}/103"][6] == CH
    assert acts[f"{g}/103"][3] == ["https://truthwave.example/watch/1093327514520119"]
    # A message of the group as itself (an anonymous admin).
    assert acts[f"{g}/104"][0] == g
    # A reply to a message not in the export: the parent is known, its author is not.
    assert acts[f"{g}/106"][5:7] == (f"{g}/57", None)
    # The personal chat is keyed by the other person's id; saved messages by one's own.
    assert acts["user6022222222/5002"][5:7] == ("user6022222222/5001", "user5012345678")
    assert acts["user5012345678/7"][1] == "share"
    assert acts[f"{CH}/2"][-1] == 11
    accounts = dict(con.execute("SELECT account_id, kind FROM accounts").fetchall())
    assert accounts == {
        g: "group",
        CH: "channel",
        "user6011111111": "account",
        "user6022222222": "account",
        "user5012345678": "account",
    }
    name = con.execute(
        "SELECT display_name FROM accounts WHERE account_id = 'user5012345678'"
    ).fetchone()[0]
    assert name == "Research Account"
    row, field, reason = con.execute("SELECT row, field, reason FROM quarantine").fetchone()
    assert (row, field) == (6, "from_id") and "'from_id' is missing" in reason


def test_community(store, channel):
    # A channel's own posts are in its own space.
    _, con = channel
    assert con.execute("SELECT count(*), count(community) FROM activities").fetchone() == (9, 0)
    # The full export: the supergroup's members post in the group; the group writing as
    # itself, the channel, the personal chat and saved messages have no community.
    ingest_file(store, FULL)
    g = "channel1701122334"
    got = dict(
        store.connect()
        .execute(
            "SELECT activity_id, community FROM activities WHERE activity_id NOT LIKE ?",
            [f"{CH}/%"],
        )
        .fetchall()
    )
    assert got == {
        f"{g}/101": g,
        f"{g}/102": g,
        f"{g}/103": g,  # a forward into the group
        f"{g}/104": None,  # the group as itself (an anonymous admin)
        f"{g}/106": g,
        "user6022222222/5001": None,
        "user6022222222/5002": None,
        "user5012345678/7": None,
    }
    assert store.connect().execute(
        f"SELECT community FROM activities WHERE activity_id = '{CH}/2'"
    ).fetchone() == (None,)


def test_community_of_a_basic_group_and_a_discussion_group(store, tmp_path):
    """A basic group is ``chat<id>``; a channel's discussion group is a supergroup whose
    messages include the channel's posts copied into it (forwarded from the channel) and
    the comments under them."""

    def msg(i, sender, **extra):
        return {
            "id": i,
            "type": "message",
            "date": "2021-01-06T21:00:00",
            "date_unixtime": str(1609963200 + i),
            "from": "x",
            "from_id": sender,
            "text": f"message {i}",
            "text_entities": [{"type": "plain", "text": f"message {i}"}],
            **extra,
        }

    export = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 5012345678},
        "chats": {
            "about": "",
            "list": [
                {
                    "name": "Street Committee",
                    "type": "private_group",
                    "id": 4477001,
                    "messages": [msg(1, "user6011111111")],
                },
                {
                    "name": "Harbor Truth Network",
                    "type": "public_channel",
                    "id": 1843220771,
                    "messages": [msg(20, "channel1843220771")],
                },
                {
                    "name": "Harbor Truth Network Chat",
                    "type": "public_supergroup",
                    "id": 1900000001,
                    "messages": [
                        msg(
                            300,
                            "channel1843220771",
                            forwarded_from="Harbor Truth Network",
                        ),
                        msg(301, "user6022222222", reply_to_message_id=300),
                    ],
                },
            ],
        },
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(export, indent=1))  # as Telegram Desktop writes it
    m = ingest_file(store, path).manifest
    assert (m.rows_stored, m.rows_quarantined) == (4, 0)
    got = dict(store.connect().execute("SELECT activity_id, community FROM activities").fetchall())
    assert got == {
        "chat4477001/1": "chat4477001",
        f"{CH}/20": None,  # the channel's own post
        # the channel's post as the discussion group shows it: a share into the group
        "channel1900000001/300": "channel1900000001",
        "channel1900000001/301": "channel1900000001",  # a comment under it
    }


def test_sniffing(shared_data, tmp_path):
    assert detect_adapter(CHANNEL).name == "telegram"
    assert detect_adapter(FULL).name == "telegram"
    adapter = get_adapter("telegram")
    others = [
        *sorted((shared_data / "coortweet").glob("*.csv.gz")),
        shared_data / "crowdtangle" / "ct_shares.csv",
        shared_data / "ira-sample" / "authors.csv",
        FIXTURES / "reddit_pushshift.ndjson",
    ]
    for path in others:
        if path.exists():
            assert not adapter.sniff(path, read_head(path)), path
    # Nor the other formats' fixtures.
    for path in sorted(p for p in FIXTURES.rglob("*") if p.is_file()):
        if not path.name.startswith("telegram"):
            assert not adapter.sniff(path, read_head(path)), path
    other_json = tmp_path / "tweets.json"
    other_json.write_text(json.dumps({"data": [{"id": "1", "text": "hi"}]}, indent=1))
    assert not adapter.sniff(other_json, read_head(other_json))


def test_wrong_file_with_format_is_a_mismatch(store, shared_data, tmp_path):
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, shared_data / "crowdtangle" / "ct_shares.csv", format="telegram")
    assert "Telegram Desktop JSON export" in err.value.expected
    assert "does not start with '{'" in err.value.found
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, FIXTURES / "reddit_pushshift.ndjson", format="telegram")
    assert "not one JSON document" in err.value.found
    other_json = tmp_path / "tweets.json"
    other_json.write_text(json.dumps({"data": [{"id": "1", "text": "hi"}]}))
    with pytest.raises(FormatMismatch) as err:
        ingest_file(store, other_json, format="telegram")
    assert err.value.found == "an object with keys data"
    assert store.manifests() == []
