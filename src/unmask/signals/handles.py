"""How generated a handle looks: ``handle_score(handles) -> scores`` in [0, 1].

Accounts made in bulk keep the handle the platform offered or a script drew. Each rule below
is a published or observable pattern, and a handle's score is that of the strongest rule it
matches (``handle_marks`` says which, so a score is always explainable):

* **name + digits** (0.95 with six digits or more, 0.6 with five): a name and a long run of
  digits, what X suggests to an account made in a hurry (``ZoeRich28859010``: a first
  name, a truncated last name and eight digits) and what Meta's Spamouflage indicators are
  full of. Four digits or fewer are years and lucky numbers (``maria1987``, ``jsmith84``).
* **platform default** (0.95): ``user`` and a string of letters and digits, TikTok's and
  YouTube's default (``user8101771158572``, ``user-xf2zm5jj9h``); Reddit's suggested
  ``Word-Word-1234`` scores 0.6 (many real redditors keep it).
* **random string**: a string drawn character by character changes class (lower case,
  upper case, digit) far more often than a chosen name does. Changes are counted between
  adjacent characters, except those a name makes: an upper-case letter followed by lower
  case (``AlexJones``, ``3rdEyePlug``), and a lower-case letter followed by such a word
  start. Four changes or more score 0.9 (``kQ8zTw2mXb``: 5; ``xf2zm5jj9h``: 6), three 0.5.
  A run of six lower-case consonants or more (``kqztwmxb``), which names almost never have
  (five do occur: German ``fschmidt``), scores 0.6.

The idea of scoring the *form* of a name follows Lee & Kim (2014), "Early filtering of
ephemeral malicious accounts on Twitter" (Computer Communications 54), who detect
algorithmically generated usernames from character-level features, and Yang et al. (2020),
"Scalable and generalizable social bot detection through data selection" (AAAI), whose
profile features include the digits and length of screen names. The rules are fixed, not
trained, so that nothing in the test sets leaks into them; ``docs/signals.md`` measures
them on Meta's published Spamouflage and other takedown handles against real ordinary
handles.

Everything is vectorised in Arrow compute (RE2 regular expressions): a million handles take
about 4 s on a loaded 2-core machine (most of it writing handles as character classes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NAME_DIGITS6 = r"^[A-Za-z][A-Za-z._]*[0-9]{6,}$"
NAME_DIGITS5 = r"^[A-Za-z][A-Za-z._]*[0-9]{5}$"
PLATFORM_DEFAULT = r"^[Uu]ser[-_]?[A-Za-z0-9]{6,}$"
REDDIT_DEFAULT = r"^[A-Z][a-z]+[-_][A-Z][a-z]+[-_]?([0-9]{3}|(1[0-8]|2[1-9]|[03-9][0-9])[0-9]{2})$"
# Four digits that are not a year (19xx, 20xx): Reddit's suggestions; people pick years.
_NOT_YEAR = r"(1[0-8]|2[1-9]|[03-9][0-9])[0-9]{2}"
WORDS_DIGITS = rf"^[A-Z][a-z]+[A-Z][a-z]+{_NOT_YEAR}$"
ALL_DIGITS = r"^[0-9]{6,}$"
# Lower case only: acronyms (BBCBreaking, SLMPD) are consonants in a row too.
CONSONANTS = r"[bcdfghjklmnpqrstvwxz]{6,}"

# Class changes between adjacent characters, on the handle written as classes (l: lower,
# U: upper, d: digit, _: anything else). "Ul" and "lUl"/"dUl" (a word start) are what names
# do and are not counted; each pattern cannot overlap itself, so non-overlapping counts are
# exact.
_CHANGE_PATTERNS = ("ld", "dl", "Ud", "lUU", "lUd", "lU_", "dUU", "dUd", "dU_")
_CHANGE_ENDINGS = ("lU", "dU")

HANDLE_MARKS = pa.schema(
    [
        pa.field("handle", pa.string()),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("mark", pa.string()),
    ]
)


def _classes(h: pa.Array) -> pa.Array:
    c = pc.replace_substring_regex(h, r"[^A-Za-z0-9]", "_")
    c = pc.replace_substring_regex(c, r"[A-Z]", "U")
    c = pc.replace_substring_regex(c, r"[a-z]", "l")
    return pc.replace_substring_regex(c, r"[0-9]", "d")


def class_changes(handles: Sequence[str | None] | pa.Array) -> np.ndarray:
    """The number of character-class changes a chosen name would not make (see above)."""
    h = pa.array(handles, pa.string()) if not isinstance(handles, pa.Array) else handles
    c = _classes(pc.fill_null(h, ""))
    n = np.zeros(len(h), dtype=np.int64)
    for p in _CHANGE_PATTERNS:
        n += pc.count_substring(c, p).to_numpy(zero_copy_only=False)
    for p in _CHANGE_ENDINGS:
        n += pc.ends_with(c, p).to_numpy(zero_copy_only=False).astype(np.int64)
    return n


def handle_marks(handles: Sequence[str | None] | pa.Array) -> pa.Table:
    """Each handle's score and the rule behind it (``HANDLE_MARKS``; mark is null at 0)."""
    h = pa.array(handles, pa.string()) if not isinstance(handles, pa.Array) else handles
    h = h.cast(pa.string())
    filled = pc.fill_null(h, "")
    changes = class_changes(filled)

    def match(pattern: str) -> np.ndarray:
        return pc.match_substring_regex(filled, pattern).to_numpy(zero_copy_only=False)

    digits = pc.utf8_length(pc.replace_substring_regex(filled, r"[^0-9]", "")).to_numpy(
        zero_copy_only=False
    )
    # Strongest first: np.select takes the first rule that matches.
    rules = [
        (match(PLATFORM_DEFAULT), 0.95, "platform default handle (user + letters and digits)"),
        (match(NAME_DIGITS6), 0.95, None),
        (match(ALL_DIGITS), 0.9, "digits only (an account number)"),
        (changes >= 4, 0.9, None),
        (match(CONSONANTS), 0.6, "random string (six consonants in a row)"),
        (match(NAME_DIGITS5), 0.6, "name + 5 digits"),
        (match(REDDIT_DEFAULT), 0.6, "platform default handle (Word-Word-1234)"),
        (match(WORDS_DIGITS), 0.6, "platform default handle (WordWord1234)"),
        (changes == 3, 0.3, None),
    ]
    conds = [r[0] for r in rules]
    score = np.select(conds, [r[1] for r in rules], default=0.0)
    which = np.select(conds, np.arange(len(rules)), default=-1)
    marks = np.empty(len(h), dtype=object)
    for i, (_, _, text) in enumerate(rules):
        sel = which == i
        if text is not None:
            marks[sel] = text
        elif i == 1:
            marks[sel] = [f"name + {d} digits" for d in digits[sel]]
        else:
            marks[sel] = [f"random string ({c} character-class changes)" for c in changes[sel]]
    return pa.table(
        {"handle": h, "score": pa.array(score, pa.float64()), "mark": pa.array(marks, pa.string())},
        schema=HANDLE_MARKS,
    )


def handle_score(handles: Sequence[str | None] | pa.Array) -> np.ndarray:
    """How generated each handle looks, in [0, 1] (0 for a missing handle)."""
    return handle_marks(handles).column("score").to_numpy()
