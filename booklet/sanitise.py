"""Takes the HTML that Markdown made (raw HTML included), gives safe HTML and what was removed.

nh3 (the ammonia sanitiser) does the cleaning; this module only decides what is allowed and
lists what was taken out, so --check can tell the editor.
"""

from __future__ import annotations

from html.parser import HTMLParser

import nh3

from booklet.i18n import _

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li",
    "mark", "ol", "p",
    "pre", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
URL_ATTRIBUTES = {"href", "src"}


class _Removed(HTMLParser):
    """Lists the tags, attributes and URLs that the cleaner will drop."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.found.append(f"<{tag}>")
            return
        allowed = ALLOWED_ATTRIBUTES["*"] | ALLOWED_ATTRIBUTES.get(tag, set())
        for name, value in attrs:
            if name not in allowed:
                self.found.append(_("%(attribute)s= on <%(tag)s>")
                                  % {"attribute": name, "tag": tag})
            elif name in URL_ATTRIBUTES and value and ":" in value.split("/")[0]:
                scheme = value.split(":", 1)[0].strip().lower()
                if scheme not in URL_SCHEMES:
                    self.found.append(_("%(scheme)s: link on <%(tag)s>")
                                      % {"scheme": scheme, "tag": tag})


def sanitise(html: str) -> tuple[str, list[str]]:
    """Safe HTML, and a description of each thing removed (empty when nothing was)."""
    finder = _Removed()
    finder.feed(html)
    finder.close()
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel=None)
    return clean, list(dict.fromkeys(finder.found))
