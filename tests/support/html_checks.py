"""Structural accessibility and safety checks on a rendered page (no browser needed)."""

from __future__ import annotations

from html.parser import HTMLParser

LABELLED_INPUTS = {
    "text",
    "email",
    "password",
    "search",
    "number",
    "date",
    "file",
    "checkbox",
    "radio",
    "tel",
    "url",
}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lang = None
        self.headings: list[int] = []
        self.controls: list[tuple[str, str | None]] = []
        self.label_for: dict[str, str] = {}
        self.ids: set[str] = set()
        self.problems: list[str] = []
        self._label: str | None = None
        self._label_text = ""
        self._button_text: str | None = None
        self._inline_script = False
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        # An empty style="" (Playwright leaves one after a screenshot) does nothing.
        if (a.get("style") or "").strip():
            self.problems.append(f"inline style attribute on <{tag}> (blocked by the CSP)")
        if tag == "html":
            self.lang = a.get("lang")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        if tag == "script":
            if "src" not in a:
                self._inline_script = True
                self.problems.append("inline <script> (blocked by the CSP)")
            self._check_local(a.get("src"))
        if tag in {"link", "img", "a", "iframe"}:
            self._check_local(a.get("href") or a.get("src"))
            if tag == "a" and a.get("href"):
                self.links.append(a["href"])
        if tag == "input":
            kind = a.get("type", "text")
            if kind in LABELLED_INPUTS:
                self.controls.append((tag, a.get("id")))
            if kind == "submit" and not a.get("value", "").strip():
                self.problems.append("submit button without text")
        if tag in {"select", "textarea"}:
            self.controls.append((tag, a.get("id")))
        if tag == "label":
            self._label = a.get("for")
            self._label_text = ""
        if tag == "button":
            self._button_text = a.get("aria-label", "")

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            self.label_for[self._label] = self._label_text.strip()
            self._label = None
        if tag == "button" and self._button_text is not None:
            if not self._button_text.strip():
                self.problems.append("button without text")
            self._button_text = None

    def handle_data(self, data):
        if self._label is not None:
            self._label_text += data
        if self._button_text is not None:
            self._button_text += data

    def _check_local(self, url: str | None):
        if url and (url.startswith("//") or url.startswith("http:") or url.startswith("https:")):
            self.problems.append(f"asset or link to another host: {url}")


def accessibility_problems(html: str, *, disclaimer: str | None = None) -> list[str]:
    page = _Page()
    page.feed(html)
    problems = list(page.problems)
    if not page.lang:
        problems.append("<html> has no lang")
    if page.headings.count(1) != 1:
        problems.append(f"expected exactly one <h1>, found {page.headings.count(1)}")
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        if after > before + 1:
            problems.append(f"heading level jumps from h{before} to h{after}")
    if "#main-content" not in page.links or "main-content" not in page.ids:
        problems.append("no skip link to the main content")
    for tag, control_id in page.controls:
        if not control_id:
            problems.append(f"<{tag}> without id, so no label can point at it")
        elif not page.label_for.get(control_id):
            problems.append(f"<{tag} id={control_id}> has no visible <label for>")
    if disclaimer and disclaimer not in html.replace("&amp;", "&"):
        problems.append("disclaimer missing")
    return problems
