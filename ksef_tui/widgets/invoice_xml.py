"""The raw XML of an invoice, highlighted and searchable ("3/12").

A read-only TextArea when tree-sitter's XML grammar is installed; otherwise a Rich `Syntax` in a
scrollable Static (pygments is always there with rich). Search is plain, case-insensitive text, so a
NIP, an amount or an element name is found exactly as it is written in the file.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from lxml import etree
from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.widgets import Input, Static, TextArea
from textual.widgets.text_area import Selection

from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.xml_safety import UnsafeXml, parse_untrusted

TAB_SIZE = 4
# Above this many characters pygments would make every repaint slow; the XML is shown plain.
HIGHLIGHT_LIMIT = 300_000
MATCH_STYLE = "underline black on yellow"  # underline: still visible with NO_COLOR
CURRENT_STYLE = "bold reverse"


def tree_sitter_xml() -> bool:
    """True when TextArea can highlight XML (textual's optional tree-sitter extra)."""
    try:
        # kept local: a private module of Textual; failing to import it, like failing to call it, means
        # "not available", so the import stays inside the same guard.
        from textual._tree_sitter import get_language

        return get_language("xml") is not None
    except Exception:  # a private module: any change there means "not available"
        return False


def decode_xml(data: bytes) -> str:
    """The bytes as text for showing (never fails: odd bytes become U+FFFD), tabs expanded so that
    search columns and what is on screen agree. A document on one long line (a generated invoice) is
    shown indented (`pretty_xml`); the bytes themselves are never changed."""
    text = data.decode("utf-8-sig", errors="replace")
    if max(map(len, text.splitlines()), default=0) > LONG_LINE:
        text = pretty_xml(data) or text
    return text.expandtabs(TAB_SIZE)


LONG_LINE = 400  # a line longer than this is not meant to be read as it is: the view is indented


def pretty_xml(data: bytes) -> str | None:
    """An indented copy of the document for reading, or None when it cannot be parsed (then the view
    shows it as it is). Parsed by the hardened parser (core/xml_safety.py): no DTD, entity or network;
    text content is kept as it is, only whitespace between elements is added (where there is none:
    lxml leaves a document that already has some as it is)."""
    try:
        root = parse_untrusted(data)
    except (UnsafeXml, etree.XMLSyntaxError):
        return None
    body: str = etree.tostring(root, encoding="unicode", pretty_print=True)
    start = data.removeprefix(b"\xef\xbb\xbf")
    end = start.find(b"?>")
    declaration = start[: end + 2].decode() + "\n" if start.startswith(b"<?xml") and end > 0 else ""
    return declaration + body


class XmlView(Vertical):
    DEFAULT_CSS = """
    XmlView { height: 1fr; }
    XmlView #xml-searchbar { height: 1; display: none; }
    XmlView #xml-searchbar.open { display: block; }
    XmlView #xml-query { width: 1fr; height: 1; border: none; padding: 0 1; background: $boost; }
    XmlView #xml-count { width: auto; min-width: 8; height: 1; padding: 0 1; background: $boost; }
    XmlView #xml-scroll { height: 1fr; overflow: auto auto; }
    XmlView #xml-body { width: auto; }
    XmlView TextArea { height: 1fr; border: none; }
    """

    def __init__(self, *, use_text_area: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_text_area = tree_sitter_xml() if use_text_area is None else use_text_area
        self.text = ""
        self.query_text = ""
        self.matches: list[int] = []  # offsets into `text`
        self.current = -1
        self._line_starts: list[int] = [0]

    def compose(self) -> ComposeResult:
        with Horizontal(id="xml-searchbar"):
            yield Input(placeholder=_("Search the XML (Enter: next, Esc: close)"), id="xml-query")
            yield Static("", id="xml-count")
        if self.use_text_area:
            language = "xml" if tree_sitter_xml() else None
            yield TextArea(
                "", language=language, read_only=True, show_line_numbers=True, soft_wrap=False, id="xml-area"
            )
        else:
            with ScrollableContainer(id="xml-scroll"):
                yield Static("", id="xml-body")

    # --- content -------------------------------------------------------------------------------

    def show(self, text: str) -> None:
        text = safe_display(text, newlines=True)  # no control or bidi characters from the file, raw
        self.text = text
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        if self.use_text_area:
            self.query_one(TextArea).load_text(text)
        self._find(self.query_text)
        self._render_body()

    def _render_body(self) -> None:
        if self.use_text_area:
            return
        body = self.query_one("#xml-body", Static)
        if len(self.text) > HIGHLIGHT_LIMIT:
            plain = Text(self.text, no_wrap=True)
            for index, start in enumerate(self.matches):
                style = CURRENT_STYLE if index == self.current else MATCH_STYLE
                plain.stylize(style, start, start + len(self.query_text))
            body.update(plain)
            return
        syntax = Syntax(
            self.text,
            "xml",
            theme="ansi_dark",
            line_numbers=True,
            word_wrap=False,
            tab_size=TAB_SIZE,
            background_color="default",
        )
        for index, start in enumerate(self.matches):
            style = CURRENT_STYLE if index == self.current else MATCH_STYLE
            syntax.stylize_range(
                style, self.position(start, 1), self.position(start + len(self.query_text), 1)
            )
        body.update(syntax)

    def position(self, offset: int, line_base: int = 0) -> tuple[int, int]:
        """(line, column) of a text offset; lines counted from `line_base`."""
        line = bisect_right(self._line_starts, offset) - 1
        return line + line_base, offset - self._line_starts[line]

    # --- search --------------------------------------------------------------------------------

    @property
    def counter(self) -> str:
        if not self.query_text:
            return ""
        if not self.matches:
            return _("0 found")
        return f"{self.current + 1}/{len(self.matches)}"

    def open_search(self) -> None:
        self.query_one("#xml-searchbar").add_class("open")
        field = self.query_one("#xml-query", Input)
        field.focus()

    def close_search(self) -> None:
        self.query_one("#xml-searchbar").remove_class("open")
        self.query_one("#xml-query", Input).value = ""
        self.focus_body()

    @property
    def search_open(self) -> bool:
        return self.query_one("#xml-searchbar").has_class("open")

    def focus_body(self) -> None:
        self.query_one("#xml-area" if self.use_text_area else "#xml-scroll").focus()

    def search(self, query: str) -> None:
        """Find every match of `query` and go to the first one."""
        self.query_one("#xml-query", Input).value = query
        self._find(query)
        self._jump()

    def next_match(self, step: int = 1) -> None:
        if not self.matches:
            return
        self.current = (self.current + step) % len(self.matches)
        self._jump()

    def _find(self, query: str) -> None:
        self.query_text = query
        self.matches = []
        self.current = -1
        if query:
            haystack, needle = self.text.casefold(), query.casefold()
            # casefold may change lengths (ß -> ss); then fall back to a plain lower-case search.
            if len(haystack) != len(self.text) or len(needle) != len(query):
                haystack, needle = self.text.lower(), query.lower()
            start = haystack.find(needle)
            while start != -1 and needle:
                self.matches.append(start)
                start = haystack.find(needle, start + 1)
            self.current = 0 if self.matches else -1

    def _jump(self) -> None:
        self.query_one("#xml-count", Static).update(Text(self.counter))
        if not self.matches:
            self._render_body()
            return
        start = self.matches[self.current]
        end = start + len(self.query_text)
        line, column = self.position(start)
        if self.use_text_area:
            area = self.query_one(TextArea)
            area.selection = Selection(self.position(start), self.position(end))
            area.scroll_cursor_visible(center=True, animate=False)
            return
        self._render_body()
        scroll = self.query_one("#xml-scroll", ScrollableContainer)
        visible = scroll.scrollable_content_region.width
        gutter = len(str(len(self._line_starts))) + 3  # Syntax's line numbers and their padding
        x = 0 if column + gutter + len(self.query_text) < visible else column + gutter - visible // 2
        scroll.scroll_to(x=x, y=max(0, line - 3), animate=False, immediate=True)

    @on(Input.Changed, "#xml-query")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._find(event.value)
        self._jump()

    @on(Input.Submitted, "#xml-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value != self.query_text:
            self._find(event.value)
            self._jump()
        else:
            self.next_match()
