"""Telegram Desktop's JSON export (``result.json``): one chat, or a whole account's chats.

Two shapes, both written by Telegram Desktop's exporter (``Export/Output/JsonWriter``):

* a single chat: ``{"name", "type", "id", "messages": [...]}``;
* the full-account export: ``{"about", "personal_information", ..., "chats": {"about",
  "list": [chat, ...]}, "left_chats": {"about", "list": [...]}}``.

A chat's ``type`` is ``public_channel``, ``private_channel``, ``public_supergroup``,
``private_supergroup``, ``private_group``, ``personal_chat``, ``bot_chat``,
``saved_messages`` or ``replies``. Every chat becomes an account (a channel, a group, or the
person of a personal chat) whose id is the peer id as Telegram Desktop writes ``from_id``:
``channel<id>`` for channels and supergroups (both are channels to Telegram), ``chat<id>``
for basic groups, ``user<id>`` for people and bots. Each author (``from_id``) is an account.
A message in a group or supergroup (a channel's discussion group is one) has that group as
its ``community``, unless the group wrote it as itself; a channel's own posts and private
chats have none.

Each message of type ``message`` is one record: ``_row`` is its ordinal among all message
objects of the file (1-based, service messages included, in file order), so that a row
points at one message. **Service messages** (joins, pins, title changes: ``"type":
"service"``) are not records: they are skipped and not counted in ``rows_read``. Messages
Telegram Desktop could not export (``"type": "unsupported"``) are records and are
quarantined.

The parsing is Python's ``json`` (an export is one JSON document); ``docs/formats.md``
(section ``telegram``) gives the whole mapping. Reference: Telegram Desktop,
``Telegram/SourceFiles/export/output/export_output_json.cpp``
(https://github.com/telegramdesktop/tdesktop).
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from unmask.ingest.base import Adapter, FormatMismatch, StageContext
from unmask.ingest.jsondepth import MAX_DEPTH, describe, loads, too_deep
from unmask.ingest.normalise import MAX_UTC_OFFSET
from unmask.ingest.registry import read_head

PLATFORM = "telegram"
CHAT_TYPES = {
    "public_channel": "channel",
    "private_channel": "channel",
    "public_supergroup": "group",
    "private_supergroup": "group",
    "private_group": "group",
    "personal_chat": "account",
    "bot_chat": "account",
    "saved_messages": None,
    "replies": None,
}
EXPECTED = (
    "a Telegram Desktop JSON export (result.json): one chat {name, type, id, messages} or "
    "a full export {chats: {list: [...]}}"
)
_CHAT_TYPE_RE = re.compile(r'"type"\s*:\s*"(' + "|".join(CHAT_TYPES) + r')"')
_FULL_RE = re.compile(r'"personal_information"\s*:\s*\{|"chats"\s*:\s*\{\s*"about"')
_PEER_RE = re.compile(r"^(user|channel|chat)(-?[0-9]+)$")


class TelegramAdapter(Adapter):
    name = "telegram"
    description = (
        "Telegram Desktop JSON export (result.json): a channel, group or chat, or all chats"
    )
    reference = "https://github.com/telegramdesktop/tdesktop"
    detect_order = 40

    def sniff(self, path: Path, head: str) -> bool:
        text = head.lstrip()
        if not text.startswith("{"):
            return False
        first = text.split("\n", 1)[0].strip()
        if len(first) > 1 and first.endswith("}"):
            return False  # one complete object on the first line: NDJSON, not an export
        if _CHAT_TYPE_RE.search(text) and '"messages"' in text:
            return True
        if _FULL_RE.search(text):
            return True
        return '"date_unixtime"' in text and '"text_entities"' in text

    def stage(self, ctx: StageContext) -> None:
        start = read_head(ctx.path, 4096).lstrip()
        if not start.startswith("{"):
            found = repr(start[:60]) if start else "an empty file"
            raise FormatMismatch(
                ctx.path, EXPECTED, f"a file that does not start with '{{': {found}"
            )
        data, deep = _load(ctx.path)
        chats = _chats(ctx.path, data)
        ctx.raw_records = lambda rows: _raw_messages(chats, rows)
        zone = _zone(ctx.option("timezone"))
        # Names of the chats and authors in the file, to turn a forward's source name into
        # its id when the name is unambiguous.
        names: dict[str, set[str]] = {}
        authors: dict[tuple[str, int], str] = {}
        for chat in chats:
            chat_id = _chat_peer(chat)
            if chat_id and isinstance(chat.get("name"), str):
                names.setdefault(chat["name"], set()).add(chat_id)
            for msg in _messages(chat):
                if not isinstance(msg, dict):
                    continue
                sender = _peer(msg.get("from_id"), chat)
                if sender and isinstance(msg.get("from"), str):
                    names.setdefault(msg["from"], set()).add(sender)
                if sender and chat_id and isinstance(msg.get("id"), int):
                    authors[(chat_id, msg["id"])] = sender

        ordinal = 0
        for chat in chats:
            chat_id = _chat_peer(chat)
            chat_kind = CHAT_TYPES.get(chat.get("type")) if chat_id else None
            for msg in _messages(chat):
                ordinal += 1
                if isinstance(msg, dict) and msg.get("type") == "service":
                    continue
                ctx.rows_read += 1
                self._stage_message(
                    ctx, ordinal, msg, chat, chat_id, chat_kind, names, authors, zone, deep
                )
        ctx.flush()

    def _stage_message(
        self,
        ctx: StageContext,
        row: int,
        msg: dict[str, Any],
        chat: dict[str, Any],
        chat_id: str | None,
        chat_kind: str | None,
        names: dict[str, set[str]],
        authors: dict[tuple[str, int], str],
        zone: tzinfo,
        deep: bool,
    ) -> None:
        def reject(field: str | None, reason: str) -> None:
            ctx.add_row(
                "activities",
                {
                    "_row": row,
                    "_error": reason,
                    "_field": field,
                    "_raw": json.dumps(msg, ensure_ascii=False),
                },
            )

        if not isinstance(msg, dict):
            return reject(None, f"this message is {describe(msg)}, not a JSON object")
        where = too_deep(msg) if deep else None
        if where is not None:
            return reject(
                where.split(".")[0].split("[")[0],
                f"'{where}' is nested more than {MAX_DEPTH} levels deep (kept as text)",
            )
        if msg.get("type") != "message":
            return reject(
                "type",
                f"field 'type': {msg.get('type')!r}; Telegram Desktop could not export this "
                "message (only 'message' records are read)",
            )
        if chat_id is None:
            if not isinstance(chat.get("id"), int):
                return reject("id", f"the chat's field 'id' is {chat.get('id')!r}, not a number")
            return reject(
                "type", f"the chat's field 'type' is {chat.get('type')!r}, not a known chat type"
            )
        msg_id = msg.get("id")
        if not isinstance(msg_id, int) or isinstance(msg_id, bool):
            return reject("id", f"field 'id': {msg_id!r} is not a message number")
        time, field, problem = _time(msg, zone)
        if problem:
            return reject(field, problem)
        raw_sender = msg.get("from_id")
        sender = _peer(raw_sender, chat)
        if sender is None and raw_sender is None and chat_kind == "channel":
            sender = chat_id  # a channel's posts are the channel's
        if sender is None:
            why = (
                "is missing"
                if raw_sender is None
                else f"{str(raw_sender)[:80]!r} is not a user, channel or chat id"
            )
            return reject("from_id", f"field 'from_id' {why}; every message needs its author")

        entities, problem = _entities(msg)
        if problem is not None:
            return reject(problem[0], problem[1])
        text = "".join(e.get("text") or "" for e in entities).strip() or None
        urls, hashtags, mentions = [], [], []
        for e in entities:
            kind, value = e.get("type"), e.get("text") or ""
            if kind == "link" and value:
                urls.append(
                    value if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value) else "http://" + value
                )
            elif kind == "text_link" and e.get("href"):
                urls.append(e["href"])
            elif kind == "hashtag" and value:
                hashtags.append(value)
            elif kind == "mention" and value:
                mentions.append(value)

        activity = {
            "platform": PLATFORM,
            "activity_id": f"{chat_id}/{msg_id}",
            "account_id": sender,
            "time": time,
            "text": text,
            "urls": urls,
            "hashtags": hashtags,
            "mentions": mentions,
            # A message in a group (a channel's discussion group too) is aimed at the group;
            # a channel's posts, the group writing as itself and private chats are no
            # community.
            "community": chat_id if chat_kind == "group" and sender != chat_id else None,
            "_row": row,
        }
        if "forwarded_from" in msg or "forwarded_from_id" in msg:
            activity["kind"] = "share"
            source = _peer(msg.get("forwarded_from_id"), chat)
            name = msg.get("forwarded_from")
            if source is None and isinstance(name, str):
                known = names.get(name, set())
                source = next(iter(known)) if len(known) == 1 else name
            activity["parent_account_id"] = source
        elif isinstance(msg.get("reply_to_message_id"), int):
            activity["kind"] = "reply"
            parent_chat = _peer(msg.get("reply_to_peer_id"), chat) or chat_id
            parent = (parent_chat, msg["reply_to_message_id"])
            activity["parent_activity_id"] = f"{parent[0]}/{parent[1]}"
            activity["parent_account_id"] = authors.get(parent)
        else:
            activity["kind"] = "post"
        ctx.add_row("activities", activity)

        if chat_kind is not None:
            ctx.add_row(
                "accounts",
                {
                    "platform": PLATFORM,
                    "account_id": chat_id,
                    "kind": chat_kind,
                    "display_name": chat.get("name") if isinstance(chat.get("name"), str) else None,
                    "_row": row,
                },
            )
        ctx.add_row(
            "accounts",
            {
                "platform": PLATFORM,
                "account_id": sender,
                "kind": chat_kind if sender == chat_id and chat_kind else _peer_kind(sender),
                "display_name": msg.get("from") if isinstance(msg.get("from"), str) else None,
                "observed_at": time,
                "_row": row,
            },
        )
        return None


def _load(path: Path) -> tuple[Any, bool]:
    """The document, and whether a value in it was nested too deep (``jsondepth``)."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as fh:
            return loads(fh.read())
    except (ValueError, UnicodeDecodeError, EOFError, OSError) as exc:
        raise FormatMismatch(
            path, EXPECTED, f"a file that is not one JSON document ({exc})"
        ) from exc


def _raw_messages(chats: list[dict[str, Any]], rows: set[int]) -> dict[int, str]:
    """The JSON of messages by their ordinal in the file (a record's number)."""
    messages = (msg for chat in chats for msg in _messages(chat))
    return {
        n: json.dumps(msg, ensure_ascii=False) for n, msg in enumerate(messages, 1) if n in rows
    }


def _chats(path: Path, data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return [data]
    if isinstance(data, dict) and isinstance(data.get("chats"), dict):
        out: list[dict[str, Any]] = []
        for key, section in data.items():  # "chats" and "left_chats", in file order
            if key in ("chats", "left_chats") and isinstance(section, dict):
                out.extend(c for c in section.get("list") or [] if isinstance(c, dict))
        return out
    if isinstance(data, dict):
        found = "an object with keys " + ", ".join(list(data)[:20])
    else:
        found = f"a JSON {type(data).__name__}"
    raise FormatMismatch(path, EXPECTED, found)


def _messages(chat: dict[str, Any]) -> list[Any]:
    msgs = chat.get("messages")
    return msgs if isinstance(msgs, list) else []


def _chat_peer(chat: dict[str, Any]) -> str | None:
    """The chat's id in the form of ``from_id``: ``channel<id>``, ``chat<id>``, ``user<id>``."""
    bare = chat.get("id")
    if not isinstance(bare, int) or isinstance(bare, bool):
        return None
    kind = chat.get("type")
    if kind in ("public_channel", "private_channel", "public_supergroup", "private_supergroup"):
        return f"channel{bare}"
    if kind == "private_group":
        return f"chat{bare}"
    if kind in ("personal_chat", "bot_chat", "saved_messages", "replies"):
        return f"user{bare}"
    return None


def _peer(value: Any, chat: dict[str, Any]) -> str | None:
    """A ``from_id``-style peer id; old exports wrote bare numbers (users, or the chat)."""
    if isinstance(value, str) and _PEER_RE.match(value):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        own = _chat_peer(chat)
        if own and own.endswith(str(value)) and own[: -len(str(value))] in ("channel", "chat"):
            return own
        return f"user{value}"
    return None


def _peer_kind(peer: str) -> str:
    if peer.startswith("channel"):
        return "channel"
    if peer.startswith("chat"):
        return "group"
    return "account"


def _entities(
    msg: dict[str, Any],
) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """The message's text as entities (old exports have only ``text``, a string or a list);
    or the field and why they cannot be read: an entity whose text or link is not a string."""
    entities = msg.get("text_entities")
    name = "text_entities"
    if not isinstance(entities, list):
        text = msg.get("text")
        name = "text"
        if isinstance(text, str):
            entities = [{"type": "plain", "text": text}]
        elif isinstance(text, list):
            entities = [{"type": "plain", "text": p} if isinstance(p, str) else p for p in text]
        else:
            entities = []
    out = []
    for i, e in enumerate(entities):
        if not isinstance(e, dict):
            return [], (name, f"field '{name}': part {i + 1} is {describe(e)}, not text")
        for key in ("text", "href"):
            if key in e and not isinstance(e[key], str | None):
                why = f"field '{name}': part {i + 1} has a {key} that is {describe(e[key])}"
                return [], (name, why + ", not text")
        out.append(e)
    return out, None


def _zone(name: str | None) -> tzinfo:
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"--option timezone={name}: not a known IANA time zone") from exc


def _time(msg: dict[str, Any], zone: tzinfo) -> tuple[datetime | None, str | None, str | None]:
    """The message's time, from ``date_unixtime`` (UTC) or else ``date`` (the exporting
    computer's local time, read in ``zone``); or the field and why it cannot be read."""
    unix = msg.get("date_unixtime")
    if unix is not None:
        try:
            return datetime.fromtimestamp(int(str(unix).strip()), UTC), None, None
        except (ValueError, OverflowError, OSError):
            return (
                None,
                "date_unixtime",
                f"field 'date_unixtime': cannot read {str(unix)[:80]!r} as unix seconds",
            )
    local = msg.get("date")
    if local is None or str(local).strip() == "":
        return None, "date", "field 'date' is empty; every message needs its time"
    try:
        t = datetime.fromisoformat(str(local).strip())
    except ValueError:
        return (
            None,
            "date",
            f"field 'date': cannot read {str(local)[:80]!r} as an ISO 8601 date-time",
        )
    if t.tzinfo is None:
        t = t.replace(tzinfo=zone)
    offset = t.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        return (
            None,
            "date",
            f"field 'date': {str(local)[:80]!r} has a UTC offset beyond "
            f"{MAX_UTC_OFFSET}, which no time zone has",
        )
    return t.astimezone(UTC), None, None
