"""A Markdown page as the tests of the docs read it: its links, headings (with GitHub's
anchors), sections, tables and code, parsed by markdown-it (CommonMark and GFM tables)."""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark").enable("table")


def github_slug(text: str) -> str:
    """The anchor GitHub gives a heading (github-slugger's rule): lower case; letters,
    digits, marks, `_`, `-` and spaces kept, everything else dropped; spaces become `-`."""
    kept = (
        c
        for c in text.strip().lower()
        if c in " -_" or unicodedata.category(c)[0] in "LNM" or unicodedata.category(c) == "Pc"
    )
    return "".join(kept).replace(" ", "-")


def _plain(inline: Token) -> str:
    """A heading's text as GitHub sees it: code spans keep their text, markup goes."""
    return "".join(t.content for t in inline.children or [] if t.type in ("text", "code_inline"))


@dataclass
class Section:
    """An `##` section: its heading and its tokens up to the next `##`."""

    title: str
    tokens: list[Token] = field(default_factory=list)

    def links(self) -> list[str]:
        return _links(self.tokens)

    def tables(self) -> list[list[list[str]]]:
        """Each table as rows of cells (the header row first), each cell its raw Markdown."""
        tables: list[list[list[str]]] = []
        row: list[str] = []
        for tok in self.tokens:
            if tok.type == "table_open":
                tables.append([])
            elif tok.type == "tr_open":
                row = []
            elif tok.type == "inline" and _in_cell(tok):
                row.append(tok.content.strip())
            elif tok.type == "tr_close":
                tables[-1].append(row)
        return tables

    def prose(self) -> list[str]:
        """The paragraphs and list items (raw Markdown), outside tables and code."""
        return [
            tok.content
            for tok in self.tokens
            if tok.type == "inline" and not _in_cell(tok) and not _is_heading(tok)
        ]


def _links(tokens: list[Token]) -> list[str]:
    """Every link's and image's target, in the order written."""
    out = []
    for tok in tokens:
        for child in tok.children or []:
            if child.type == "link_open":
                out.append(str(child.attrs["href"]))
            elif child.type == "image":
                out.append(str(child.attrs["src"]))
    return out


def _in_cell(tok: Token) -> bool:
    return bool(tok.meta.get("cell"))


def _is_heading(tok: Token) -> bool:
    return bool(tok.meta.get("heading"))


@dataclass
class Page:
    path: Path

    @cached_property
    def tokens(self) -> list[Token]:
        tokens = _PARSER.parse(self.path.read_text(encoding="utf-8"))
        # Mark inline tokens by what holds them, so that sections can tell cells and
        # headings from prose.
        for before, tok in itertools.pairwise(tokens):
            if tok.type == "inline":
                tok.meta["cell"] = before.type in ("th_open", "td_open")
                tok.meta["heading"] = before.type == "heading_open"
        return tokens

    def links(self) -> list[str]:
        return _links(self.tokens)

    def anchors(self) -> set[str]:
        """The anchors of its headings, with GitHub's -1, -2 for repeated ones."""
        seen: dict[str, int] = {}
        out = set()
        for before, tok in itertools.pairwise(self.tokens):
            if before.type != "heading_open":
                continue
            slug = github_slug(_plain(tok))
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            out.add(slug if n == 0 else f"{slug}-{n}")
        return out

    def sections(self) -> list[Section]:
        """The `##` sections, each with what follows its heading up to the next `##`."""
        sections: list[Section] = []
        tokens = self.tokens
        for i, tok in enumerate(tokens):
            if tok.type == "heading_open" and tok.tag == "h2":
                sections.append(Section(_plain(tokens[i + 1])))
            elif sections:
                sections[-1].tokens.append(tok)
        return sections

    def section(self, title: str) -> Section:
        found = [s for s in self.sections() if s.title == title]
        assert found, f"{self.path.name} has no section '## {title}'"
        return found[0]

    def code(self) -> list[str]:
        """The text of every code block and code span."""
        out = []
        for tok in self.tokens:
            if tok.type in ("fence", "code_block"):
                out.append(tok.content)
            out += [c.content for c in tok.children or [] if c.type == "code_inline"]
        return out
