"""Takes a Booklet (in one language) and an Edition, gives the edition's print-ready HTML:
Markdown sections for one reader, merged by the Jinja templates with every printed word from
the language's message catalog."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markdown import Markdown
from markupsafe import Markup, escape

from booklet.clinic import Clinic
from booklet.config import CrisisLine, Edition, EmergencyNumber, line_of, read_text
from booklet.content import Booklet, Section
from booklet.errors import BookletError, did_you_mean, display_path, map_all, shorten
from booklet.extensions import (
    FIGURE_SLOT,
    MAX_NESTING,
    BookletExtension,
    Citations,
    IconArray,
    Reader,
    SourceFile,
)
from booklet.fonts import FONT_DIR, FONT_FILES, missing_characters, printed_text
from booklet.i18n import Language, _, css_content, language, po_path, translations
from booklet.images import check_images
from booklet.paper import PAPER_SIZES
from booklet.references import Reference
from booklet.sandbox import checked
from booklet.sanitise import sanitise

# pymdownx.critic shows editorial marks ({>> note <<}, {++ add ++} …) as tracked changes
MARKDOWN_EXTENSIONS = ["tables", "def_list", "admonition", "attr_list", "sane_lists", "smarty",
                       "pymdownx.critic"]
WEB_FONTS, WEB_IMAGES = "fonts", "images"  # a web edition's folders, beside its index.html


@dataclass(frozen=True)
class RenderedSection:
    id: str
    title: str
    html: str
    path: Path
    new_page: bool
    removed: list[str]  # raw HTML the sanitiser took out

    @property
    def removal_warning(self) -> str | None:
        """What the sanitiser took out of this section, as a warning line, if anything."""
        if not self.removed:
            return None
        return _("%(file)s: raw HTML removed for safety: %(removed)s") % {
            "file": display_path(self.path), "removed": ", ".join(self.removed)}


@dataclass(frozen=True)
class NumberedEdition:
    """The edition that lists every reference, as a plain-language sources page names it;
    `language` is set when that edition is in another language than the copy."""

    label: str
    language: str | None = None


@dataclass(frozen=True)
class RenderedEdition:
    booklet: Booklet
    edition: Edition
    sections: list[RenderedSection]
    references: list[Reference]
    html: str  # the document, without its stylesheets
    stylesheets: tuple[str, ...]  # print.css, then the edition's own rules
    font_warnings: list[str]  # characters no shipped font has, each with where it is written

    @property
    def standalone_html(self) -> str:
        """The HTML with its stylesheets inside, as written by --html for debugging CSS."""
        styles = "".join(f"<style>\n{css}</style>\n" for css in self.stylesheets)
        return self.html.replace("</head>", styles + "</head>", 1)


def select_sections(booklet: Booklet, edition: Edition) -> list[Section]:
    """The sections an edition prints, in print order; in a translation, each must be
    translated."""
    chosen = _chosen_sections(booklet, edition)
    for section in chosen:
        if not booklet.config.draft and section.editorial_marks:
            line, mark = section.editorial_marks[0]
            raise BookletError(_("editorial mark %(mark)s is left in an approved booklet")
                               % {"mark": shorten(mark)}, section.path, line,
                               _("resolve it (accept or remove it), or set "
                                 "status = \"in-review\" in booklet.toml"))
        if section.id in booklet.untranslated:
            raise BookletError(
                _("section '%(section)s' has no translation") % {"section": section.id},
                booklet.root,
                hint=_("translate %(source)s into %(translation)s (same id), or build "
                       "%(edition)s without this language") % {
                    "source": display_path(section.path), "edition": edition.name,
                    "translation": display_path(booklet.root / section.path.name)})
    return chosen


def _chosen_sections(booklet: Booklet, edition: Edition) -> list[Section]:
    if edition.audience not in booklet.config.audiences:
        raise BookletError(_("unknown audience '%(name)s'") % {"name": edition.audience},
                           edition.path,
                           line_of(_text(edition), "audience"),
                           did_you_mean(edition.audience, booklet.config.audiences))
    if edition.sections == "all":
        return [s for s in booklet.sections if s.is_for(edition.audience)]
    chosen: list[Section] = []
    for position, section_id in enumerate(edition.sections):
        section = booklet.section(section_id)
        occurrence = edition.sections[:position].count(section_id)
        line = _line_containing(edition, f'"{section_id}"', occurrence)
        if occurrence:
            raise BookletError(_("section '%(section)s' is listed twice in sections")
                               % {"section": section_id}, edition.path, line,
                               _("list each section once"))
        if section is None:
            raise BookletError(_("unknown section '%(section)s'") % {"section": section_id},
                               edition.path, line,
                               did_you_mean(section_id, [s.id for s in booklet.sections]))
        if not section.is_for(edition.audience):
            raise BookletError(
                _("section '%(section)s' is not for the %(audience)s audience") % {
                    "section": section_id, "audience": edition.audience},
                edition.path, line,
                _("add %(audience)s to its audiences in %(file)s") % {
                    "audience": edition.audience, "file": section.path.name})
        chosen.append(section)
    return chosen


def _text(edition: Edition) -> str:
    return read_text(edition.path) if edition.path else ""


def _line_containing(edition: Edition, needle: str, skip: int = 0) -> int | None:
    """The line of the edition file where `needle` stands after `skip` earlier ones (the
    last line it stands on, when some stand on the same line)."""
    lines = [number for number, line in enumerate(_text(edition).splitlines(), start=1)
             if needle in line.replace("'", '"')]
    return lines[min(skip, len(lines) - 1)] if lines else None


def render_section(section: Section, reader: Reader, audiences: list[str],
                   citations: Citations, words: Language) -> RenderedSection:
    """One section's body as sanitised HTML for one reader, with the language's quotation
    marks."""
    source = SourceFile(section.path, section.body_line, section.body)
    if mistake := source.fence_mistake():
        raise mistake
    if deep := source.too_deep():
        raise BookletError(_("nested %(depth)d levels deep (quotes, lists or HTML inside each "
                             "other); the limit is %(limit)d") % {"depth": deep[1],
                                                                  "limit": MAX_NESTING},
                           section.path, deep[0], _("take some levels out"))
    extension = BookletExtension(reader, audiences, citations, source)
    md = Markdown(extensions=[*MARKDOWN_EXTENSIONS, extension],
                  extension_configs={"tables": {"use_align_attribute": True},
                                     "smarty": {"substitutions": words.quotes},
                                     "pymdownx.critic": {"mode": "view"}})
    html, removed = sanitise(md.convert(section.body))
    check_images(html, source)
    check_link_targets(html, source)
    for number, figure in enumerate(extension.figures):
        # its own paragraph (a quote's ends with a line break), code (indented where Markdown
        # sees no list), or a line of a list item or sentence: the figure is drawn in any case
        slot = re.escape(FIGURE_SLOT.format(number))
        drawn = icon_array_html(figure, words)
        html = re.sub(rf"<p>\s*{slot}\s*</p>|<pre><code>\s*{slot}\s*</code></pre>|{slot}",
                      lambda _match, drawn=drawn: drawn, html)
    return RenderedSection(section.id, section.title, html, section.path, section.meta.new_page,
                           removed)


LINK = re.compile(r'href="#([^"]+)"')
HREF = re.compile(r'<a\b[^>]*?\shref="([^"]*)"')


def icon_array_html(figure: IconArray, words: Language) -> str:
    """A risk picture as a tagged figure: the drawing, its alt text with the numbers in words,
    and its caption."""
    alt = words.gettext("A picture of %(total)d people: %(count)d of them are filled in.") % {
        "total": figure.total, "count": figure.count} + " " + figure.caption
    data = base64.b64encode(figure.svg().encode()).decode()
    return (f'<figure class="icon-array"><img src="data:image/svg+xml;base64,{data}" '
            f'alt="{escape(alt)}"><figcaption>{escape(figure.caption)}</figcaption></figure>')


def check_link_targets(html: str, source: SourceFile) -> None:
    """Every link in a section goes to a web address, an email address or phone number, or a
    section (#id): a link to a file would print the path on this computer in the PDF."""
    for href in HREF.findall(html):
        target = unescape(href)
        parts = urlsplit(target)
        if (parts.scheme in ("http", "https") and parts.netloc) or (
                parts.scheme in ("mailto", "tel") and parts.path) or (
                target.startswith("#") and len(target) > 1):
            continue
        raise BookletError(_("link '%(target)s' goes to a file, not a web address or a "
                             "section") % {"target": target}, source.path,
                           source.line_of(f"]({target}") or source.line_of(target),
                           _("link to a web address (https://…) or to a section id "
                             "(#section-id); a printed booklet cannot open files"))


def check_links(sections: list[RenderedSection], anchors: set[str]) -> None:
    """Every link inside the booklet goes to a section (or the sources, or the help page) this
    edition prints: the PDF prints its page number after it."""
    printed = {section.id for section in sections} | anchors
    for section in sections:
        for target in LINK.findall(section.html):
            if target not in printed and not target.startswith("ref-"):
                raise BookletError(
                    _("link to '#%(target)s' goes to a section this edition does not print")
                    % {"target": target}, section.path,
                    SourceFile(section.path, 1, read_text(section.path)).line_of(f"#{target}"),
                    _("link to a section id the edition prints, or put the link in an audience "
                      "block for the editions that print it"))


class ProjectTemplates(jinja2.FileSystemLoader):
    """Jinja's loader for one templates folder, refusing a template that leads outside the
    project before it is read."""

    def get_source(self, environment: jinja2.Environment, template: str):
        for folder in self.searchpath:
            checked(Path(folder).joinpath(*jinja2.loaders.split_template_path(template)))
        return super().get_source(environment, template)


@cache
def template_environment(templates_dir: Path, catalog: str) -> jinja2.Environment:
    """One Jinja environment per templates folder and language, so templates compile once per
    run (Jinja reloads a template whose file changed); `_` is the catalog's gettext."""
    env = jinja2.Environment(
        loader=ProjectTemplates(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=True,
                                            disabled_extensions=("css",)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(catalog), newstyle=True)
    env.filters["css_content"] = css_content
    env.filters["links"] = links
    env.filters["tel"] = tel
    return env


# Addresses in plain text (references, contacts, crisis lines) that a reader can follow:
# web addresses, DOIs, PubMed and PMC numbers, email addresses and bare domain names; on
# screens also phone numbers (three digits or more, in groups: 988, 13 11 14, (555) 010-2999).
ADDRESSES = (
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:)])"
    r"|doi:(?P<doi>10\.\d{4,9}/[^\s<>\"]+[^\s<>\".,;:)])"
    r"|PMID: (?P<pmid>\d{1,9})\b"
    r"|\b(?P<pmcid>PMC\d{1,9})\b"
    r"|(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)"
    r"|(?P<domain>\b(?:[a-z0-9-]+\.)+(?:org|com|net|gov|edu|uk|ie|au|ca|nz|info)\b"
    r"(?:/[^\s<>\"]*[^\s<>\".,;:)])?)")
ADDRESS = re.compile(ADDRESSES)
ADDRESS_OR_PHONE = re.compile(
    ADDRESSES + r"|(?<![\w/.+-])(?P<phone>\+?(?:\(\d+\) ?)?\d+(?:[ -]\d+)*)(?![\w/-])")
ADDRESS_TARGETS = {"url": "{}", "doi": "https://doi.org/{}",
                   "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}/",
                   "pmcid": "https://pmc.ncbi.nlm.nih.gov/articles/{}/", "email": "mailto:{}",
                   "domain": "https://{}"}


def tel(number: str) -> str:
    """A phone number as a link target: tel: and its digits (with a leading +)."""
    return "tel:" + re.sub(r"[^\d+]", "", number)


def links(text: str, phones: bool = False) -> Markup:
    """Plain text as HTML with every address in it a real link (PDF link annotations); with
    `phones` (the web edition), phone numbers too, as tel: links."""
    html, end = [], 0
    for match in (ADDRESS_OR_PHONE if phones else ADDRESS).finditer(text):
        kind = match.lastgroup
        if kind == "phone":
            target = tel(match[0])
            if len(target.removeprefix("tel:").lstrip("+")) < 3:  # a '2' to press, not a call
                continue
        else:
            target = ADDRESS_TARGETS[kind].format(match[kind])
        html += [escape(text[end:match.start()]),
                 Markup('<a href="{}">{}</a>').format(target, match[0])]
        end = match.end()
    return Markup("").join([*html, escape(text[end:])])


def by_country(lines: list, country: str | None) -> list:
    """Crisis lines or emergency numbers, those serving `country` first (in booklet order)."""
    return sorted(lines, key=lambda line: country not in line.countries) if country else lines


def render_edition(booklet: Booklet, edition: Edition, templates_dir: Path,
                   clinic: Clinic | None = None, last_page: int | None = None,
                   country: str | None = None,
                   numbered_edition: NumberedEdition | None = None,
                   web: str | None = None, blank_pages: int = 0,
                   back_pages: int = 1) -> RenderedEdition:
    """The edition's HTML for readers in `country` (None: every country); with `last_page`,
    only its cover and back matter (its last `back_pages` pages, up to page `last_page`), for
    splicing a clinic's pages into a copy laid out once (see booklet/splice.py). With `web`
    (the name of the PDF beside it), the web edition's page instead: web furniture, its files
    (style.css, fonts/, images/) named relative to it. `blank_pages` blank pages come before
    the back pages (a folded booklet's padding to whole sheets, when notes pages cannot do
    it)."""
    config = booklet.config
    words = language(config.language, booklet.root / "booklet.toml")
    citations = Citations(booklet.references, numbered=edition.citations == "numbered")
    reader = Reader(edition.audience, country)
    sections = [] if last_page else map_all(
        lambda section: render_section(section, reader, config.audiences, citations, words),
        select_sections(booklet, edition))
    check_links(sections, {"references", "help"})
    width, height = PAPER_SIZES[edition.page_paper]
    crisis_lines: list[CrisisLine] = by_country(config.crisis_lines, country)
    if clinic and clinic.crisis_line and crisis_lines:
        crisis_lines = [clinic.crisis_line, *crisis_lines]
    emergency: list[EmergencyNumber] = by_country(config.emergency_numbers, country)
    context = {
        "booklet": config,
        "source_language": booklet.source_language,
        "edition": edition,
        "edition_text": booklet.edition_text(edition),
        "lang": words,
        "sections": sections,
        "references": citations.cited,
        "numbered_edition": numbered_edition,
        "clinic": clinic,
        "crisis_lines": crisis_lines,
        "emergency_numbers": emergency,
        "qr_code": qr_code(clinic.qr_target) if clinic and clinic.qr_target and clinic.qr_code
        else None,
        "page_width": f"{width}mm",
        "page_height": f"{height}mm",
        "fonts": font_faces(bool(web)),
        "last_page": last_page,
        "back_pages": back_pages,
        "blank_pages": blank_pages,
        "web": bool(web),
        "pdf_name": web,
        "logo_src": (f"{WEB_IMAGES}/{clinic.logo_path.name}" if web else
                     clinic.logo_path.as_uri()) if clinic and clinic.logo_path else None,
    }
    html = render_template(templates_dir, words.catalog, "base.html", context)
    stylesheets = (render_template(templates_dir, words.catalog, "web.css", context),) if web \
        else (read_text(templates_dir / "print.css"),
              render_template(templates_dir, words.catalog, "edition.css", context))
    source_root = booklet.root.parent if booklet.translation else booklet.root
    sources = [*(s.path for s in sections), booklet.root / "booklet.toml",
               source_root / "booklet.toml", source_root / "references.yaml",
               *([clinic.folder / "clinic.toml"] if clinic and clinic.folder else []),
               *([edition.path] if edition.path else []), po_path(words.catalog),
               *sorted(templates_dir.iterdir())]
    return RenderedEdition(booklet, edition, sections, citations.cited, html, stylesheets,
                           font_warnings(printed_text(html, stylesheets),
                                         list(dict.fromkeys(sources)), booklet.root))


def font_faces(web: bool = False) -> list[dict[str, object]]:
    """The shipped font's files for @font-face rules: in fonts/ beside a web page, else where
    the font package keeps them."""
    return [{"weight": w, "style": s,
             "url": f"{WEB_FONTS}/{name}" if web else (FONT_DIR / name).as_uri()}
            for (w, s), name in FONT_FILES.items()]


def font_warnings(text: str, sources: list[Path], folder: Path) -> list[str]:
    """A warning for each character of `text` that no shipped font has (it would print as a
    box), naming the first of `sources` that writes it and the line (else `folder`)."""
    warnings = []
    for char in missing_characters(text):
        where = display_path(folder)  # written as an entity such as &#x2603;, or made by code
        for path in sources:
            source = read_text(path) if path.is_file() else ""
            if char in source:
                line = source.count("\n", 0, source.index(char)) + 1
                where = f"{display_path(path)}:{line}"
                break
        warnings.append(_("%(where)s: character '%(char)s' (U+%(code)s) is in no shipped font "
                          "and would print as a box; use another character or write it out")
                        % {"where": where, "char": char, "code": f"{ord(char):04X}"})
    return warnings


@cache
def qr_code(url: str) -> str:
    """A QR code of `url` as a PNG data: URL (made locally by segno; no network)."""
    import segno  # only clinics with a website need it

    return segno.make(url, error="m").png_data_uri(scale=6, border=2)


def render_template(templates_dir: Path, catalog: str, name: str, context: dict) -> str:
    """Renders a template; Jinja mistakes become BookletErrors naming the template file and line."""
    env = template_environment(templates_dir, catalog)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as error:
        raise BookletError(_("template syntax error: %(problem)s") % {"problem": error.message},
                           Path(error.filename or templates_dir / name), error.lineno,
                           _("fix the Jinja syntax")) from None
    except jinja2.TemplateNotFound as error:
        raise BookletError(_("template '%(name)s' not found") % {"name": error.name},
                           templates_dir, hint=_("restore it from git")) from None
    except jinja2.UndefinedError as error:
        file, line = _template_frame(error, templates_dir)
        raise BookletError(_("template uses an undefined value: %(problem)s")
                           % {"problem": error.message}, file, line,
                           _("check the variable name against the documented context")) from None


def _template_frame(error: BaseException, templates_dir: Path) -> tuple[Path, int | None]:
    """The innermost template file and line in an error's traceback."""
    found: tuple[Path, int | None] = (templates_dir, None)
    trace = error.__traceback__
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.startswith(str(templates_dir)):
            found = (Path(filename), trace.tb_lineno)
        trace = trace.tb_next
    return found
