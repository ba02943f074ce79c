"""Every printed word per language: complete message catalogs, translated booklets built with
their own labels, dates, hyphenation and readability formulas, and clear errors."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from pypdf import PdfReader

from booklet.i18n import DOMAIN, LOCALES_DIR, catalog_languages
from build import main
from tests.conftest import REPO, SMALL_PROJECT, make_project
from tests.pdfread import full_text, page_texts

SPANISH = {
    "content/demo/es/booklet.toml": """\
language = "es-US"
translated_from = "2.1"
title = "Folleto de prueba"
subtitle = "Un folleto pequeño para pruebas"
disclaimer = "Solo información general."
crisis_heading = "Si piensa en el suicidio o no se siente seguro"

[editions.patient]
label = "Edición para pacientes"
subtitle = "Para pacientes y familias"

[[crisis_lines]]
region = "Reino Unido"
name = "Samaritans"
contact = "Llame al 116 123"
countries = ["GB"]

[[emergency_numbers]]
region = "Reino Unido"
number = "999"
countries = ["GB"]
""",
    "content/demo/es/10-intro.md": """\
---
id: intro
title: Introducción
---

Esto es para todos [@smith2020].

::: patient

## Solo para usted

Beba agua. Coma bien [@guide2022].

:::
""",
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
CATALOGS = sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def catalog(path: Path):
    locale = path.parent.parent.name if path.suffix == ".po" else None
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


@pytest.fixture(scope="session")
def spanish_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("es") / "project", {**SMALL_PROJECT, **SPANISH})
    out = root / "output"
    assert main(["--project", str(root), "--out", str(out), "--quiet"]) == 0
    return out


def test_english_and_spanish_catalogs_are_complete() -> None:
    assert {"en", "es"} <= set(catalog_languages())
    for path in CATALOGS:
        parsed = catalog(path)
        forms = Locale.parse(path.parent.parent.name).plural_form.rules
        expected_forms = len(forms) + 1  # CLDR's rules, plus "other"
        assert parsed.num_plurals == expected_forms, path
        for message in parsed:
            if not message.id:
                continue
            assert not message.fuzzy, (path, message.id)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings), (path, message.id)  # nothing untranslated
            if message.pluralizable:
                assert len(strings) == expected_forms, (path, message.id)
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            for string in strings:  # every %(name)s and {counter} is kept
                assert sorted(PLACEHOLDER.findall(string)) == sorted(
                    PLACEHOLDER.findall(ids[-1])), (path, message.id, string)
        assert not list(parsed.check()), path


def test_catalogs_hold_every_message_of_the_templates_and_engine(tmp_path: Path) -> None:
    pot = tmp_path / "booklet.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F",
                    str(LOCALES_DIR / "babel.cfg"), "--no-location", "-o", str(pot), "."],
                   cwd=REPO, check=True)
    extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(pot) if m.id}
    assert len(extracted) > 40
    for path in CATALOGS:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(path) if m.id}
        assert not extracted - ids, path  # run `make messages`, then translate


WORD = re.compile(r"[A-Za-z]{2,}")  # printed text: any word
WORDS = re.compile(r"[A-Za-z]{2,}[,.;:!?]?\s+[A-Za-z]{2,}")  # code: two words or more
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
MESSAGE = re.compile(r"""\b_\(\s*(['"]).*?(?<!\\)\1""", re.DOTALL)
QUOTED = re.compile(r"""(['"])(.*?)(?<!\\)\1""", re.DOTALL)
READ_ALOUD = re.compile(r'\b(?:alt|aria-label|title)="([^"]*)"')


def english_left(source: str) -> list[str]:
    """Text a template prints that is not a message: words outside `_()` and trans blocks."""
    source = re.sub(r"\{#.*?#\}|/\*.*?\*/", "", source, flags=re.DOTALL)
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", "", source, flags=re.DOTALL)
    found = []
    for code in JINJA.findall(source):  # string literals in expressions
        found += [text for _, text in QUOTED.findall(MESSAGE.sub("", code)) if WORDS.search(text)]
    markup = JINJA.sub("", source)
    markup = re.sub(r"font-family:[^;]*;", "", markup)  # a font's name is not prose
    found += [text for text in READ_ALOUD.findall(markup) if WORD.search(text)]
    found += [text for _, text in QUOTED.findall(re.sub(r"<[^>]*>", "", markup))
              if WORD.search(text)]  # CSS strings (content:, string-set:)
    found += [text for text in re.split(r"<[^>]*>", markup) if WORD.search(text)
              and "{" not in text]  # text between tags (CSS rules have braces)
    return found


def test_no_english_is_left_in_the_templates_outside_the_catalog() -> None:
    app_pages = (REPO / "booklet/app").glob("*.html")  # the browser app's (build.py serve)
    for path in [*sorted((REPO / "templates").iterdir()), *sorted(app_pages)]:
        if path.suffix in (".html", ".css"):
            assert not english_left(path.read_text()), (path.name, english_left(path.read_text()))


def test_the_template_check_finds_english() -> None:
    for source in ('<p>Page one</p>', '<img alt="A logo">', '{{ "Last reviewed" }}',
                   '@page { content: "Page " counter(page); }', '{{ x if y else "Two words" }}'):
        assert english_left(source), source
    assert not english_left('<p>{{ _("Last reviewed") }}</p>{% trans %}Two words{% endtrans %}')


ENGINE = [*sorted((REPO / "booklet").glob("*.py")), REPO / "build.py"]
GETTEXT = ("_", "N_", "gettext", "ngettext", "pgettext")
# Calls whose first argument (and hint) is printed to the user: errors, ValueErrors that
# pydantic and --lang turn into errors, argparse's messages, and the reporter's lines.
PRINTS = ("BookletError", "_YamlProblem", "ValueError", "ArgumentTypeError",
          "FatalURLFetchingError", "info", "warning", "error", "result")
# Words that are not printed, or that must not go through the catalogs, by file and start.
NOT_MESSAGES = {
    # catalog loading: these say a catalog cannot be loaded, so none can translate them
    ("i18n.py", "message catalog "), ("i18n.py", "fix the .po file"),
    ("i18n.py", "keep every %(name)s"), ("i18n.py", "reinstall booklet"),
    ("i18n.py", "save it as UTF-8"),
    ("config.py", "Value error, "),  # the prefix pydantic puts before a validator's message
    ("pdf.py", ".notdef glyph rendered"),  # WeasyPrint's log message that pdf.py looks for
    ("impose.py", "saddle stitching needs"),  # a guard: project.py pads to 4 pages first
    ("splice.py", ""),  # CannotSplice reasons: never printed, the copy is built in full
    ("serve.py", "build.py serve"),  # the command's name, as typed
    ("serve.py", "attachment; filename="),  # an HTTP header
}
OPTION = re.compile(r"--[\w-]+")  # an option's name is not English
PRINTED_WORD = re.compile(r"[A-Za-z]{2,}|\be\.g\.")
REGEX = ("compile", "match", "search", "sub", "findall", "split", "fullmatch")


def _name(call: ast.Call) -> str:
    return getattr(call.func, "id", getattr(call.func, "attr", ""))


def _printed(node: ast.expr) -> list[ast.Constant]:
    """The string constants that end up in a message built by `node` (not those passed to
    other functions, nor a %-mapping's keys, nor anything inside `_()`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.JoinedStr):
        return [c for value in node.values if isinstance(value, ast.Constant) for c in [value]]
    if isinstance(node, ast.BinOp):
        return _printed(node.left) + _printed(node.right)
    if isinstance(node, ast.IfExp):
        return _printed(node.body) + _printed(node.orelse)
    return []


def english_in_code(source: str, name: str) -> list[str]:
    """English a module would print that is not a message of the catalogs: string constants
    of two words or more anywhere outside `_()` (docstrings, pydantic field descriptions,
    regular expressions and markup excepted), and any word in what a BookletError, a
    ValueError, argparse's help or the reporter prints."""
    tree = ast.parse(source)
    messages, exempt, found = set(), set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node) in GETTEXT:
            messages.update(id(arg) for arg in node.args)
        elif isinstance(node, ast.Call) and _name(node) in REGEX and node.args:
            exempt.add(id(node.args[0]))
        if isinstance(node, ast.Call):
            exempt.update(id(kw.value) for kw in node.keywords if kw.arg == "description")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module) \
                and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                exempt.add(id(first.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in \
                messages | exempt and WORDS.search(node.value) and not node.value.startswith("<"):
            found.append(node.value)
        if isinstance(node, ast.Call):
            printed = [kw.value for kw in node.keywords if kw.arg in ("hint", "help")]
            if _name(node) in PRINTS:
                printed += node.args[:1] + node.args[3:4]
            found += [c.value for arg in printed for c in _printed(arg)
                      if id(c) not in messages
                      and PRINTED_WORD.search(OPTION.sub("", c.value))]
    return [text for text in dict.fromkeys(found)
            if not any(name == file and text.startswith(start) for file, start in NOT_MESSAGES)]


def test_no_english_is_left_in_the_engine_outside_the_catalog() -> None:
    for path in ENGINE:
        left = english_in_code(path.read_text(), path.name)
        assert not left, (path.name, left)


def test_the_engine_check_finds_english() -> None:
    for source in ('raise BookletError("file not found", path)',
                   'raise BookletError(_("no file"), path, 1, "add one")',
                   'raise BookletError(_("no file"), hint=f"e.g. {name}")',
                   'raise BookletError(_("no file"), hint="e.g. --shard 1/4")',
                   'raise BookletError(f"--shard {spec}: expected I/N")',
                   'raise ValueError(_("bad") + "; did you mean it?")',
                   'reporter.info(f"{built} built")', 'reporter.warning("deprecated")',
                   'parser.add_argument("--x", help="builds")', 'TEXT = "two words"'):
        assert english_in_code(source, "x.py"), source
    for source in ('raise BookletError(_("no %(file)s") % {"file": name}, path)',
                   'reporter.info(f"{label}: {_(\'done\')}")', '"""A docstring."""',
                   'x = Field("", description="Set from the file name.")',
                   're.compile(r"at line (\\d+)")', 'svg = f\'<circle cx="{x}"/>\'',
                   'reporter.warning(f"{display_path(folder / \'clinic.toml\')}: {note}")',
                   'raise BookletError(f"--set {single.message}", hint=single.hint)'):
        assert not english_in_code(source, "x.py"), source


def test_a_spanish_edition_prints_spanish_labels_dates_and_lang(spanish_build: Path) -> None:
    path = spanish_build / "demo-patient-es-letter.pdf"
    pages = page_texts(path)
    cover = pages[0]
    for expected in ("EDICIÓN PARA PACIENTES", "Folleto de prueba", "Para pacientes y familias",
                     "Edición", "Versión", "Última revisión", "15 de enero de 2026",
                     "Próxima revisión", "15 de enero de 2099", "No es consejo médico.",
                     "¿Está en crisis?"):
        assert expected in cover, expected
    text = full_text(path)
    for expected in ("Página 2 de", "Contenido", "De dónde viene esta información",
                     "Solo para usted", "Mis notas y preguntas", "Su equipo de atención",
                     "Nombre de la clínica", "Cómo conseguir ayuda ahora",
                     "En una emergencia, llame al 999 (Reino Unido).",
                     "También usamos 1 estudio de investigación.",
                     "Traducido de la versión 2.1 en inglés.",
                     "Un traductor médico calificado aún no ha revisado esta traducción."):
        assert expected in text, expected
    assert "Professional words" not in text  # the clinician block stays out
    assert str(PdfReader(path).trailer["/Root"]["/Lang"]).startswith("es")
    english = {m.id for m in catalog(LOCALES_DIR / "en/LC_MESSAGES/booklet.po")
               if isinstance(m.id, str) and m.id and m.context is None}
    spanish = {m.id: m.string for m in catalog(LOCALES_DIR / "es/LC_MESSAGES/booklet.po")}
    for message in english:
        words = re.split(r"%\(\w+\)s|\{\w+\}", message)
        for piece in words:
            if len(piece.strip()) > 3 and spanish.get(message) != message:
                assert piece.strip() not in text, piece


def test_a_spanish_edition_is_built_beside_the_english_one(spanish_build: Path) -> None:
    names = sorted(path.name for path in spanish_build.glob("*.pdf"))
    assert names == ["demo-clinician-letter.pdf", "demo-patient-es-letter.pdf",
                     "demo-patient-letter.pdf", "demo-policymaker-letter.pdf"]
    english = full_text(spanish_build / "demo-patient-letter.pdf")
    assert "Page 2 of" in english and "Folleto" not in english


def test_lang_builds_one_language(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, **SPANISH})
    assert main(["--project", str(root), "--out", str(root / "o"), "patient", "--lang",
                 "es"]) == 0
    assert sorted(p.name for p in (root / "o").glob("*.pdf")) == ["demo-patient-es-letter.pdf"]
    assert "demo patient es" in capsys.readouterr().out
    (root / "editions/paciente.toml").write_text(
        'label = "Paciente"\naudience = "patient"\nlanguage = "es-US"\nplain_language = true\n'
        'font_size = "12pt"\ncitations = "sources"\n')
    (root / "content/demo/es/booklet.toml").write_text(
        SPANISH["content/demo/es/booklet.toml"] + '\n[editions.paciente]\nlabel = "Paciente"\n')
    assert main(["--project", str(root), "--out", str(root / "o2"), "paciente"]) == 0
    assert [p.name for p in (root / "o2").glob("*.pdf")] == ["demo-paciente-es-letter.pdf"]


def test_spanish_readability_uses_spanish_formulas(tmp_path: Path, capsys) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, **SPANISH})
    assert main(["--project", str(root), "--check", "--lang", "es"]) == 0
    out = capsys.readouterr().out
    assert ("Readability, demo patient es edition (limits: Fernández-Huerta ≥ 70, "
            "Szigriszt-Pazos ≥ 65)") in out
    assert "Flesch-Kincaid" not in out


@pytest.mark.parametrize(("files", "args", "message"), [
    ({"content/demo/es/booklet.toml": SPANISH["content/demo/es/booklet.toml"].replace(
        '"es-US"', '"es-XX"')}, [],
     "content/demo/es/booklet.toml:1: 'language': 'es-XX' is not a language that booklet "
     "knows"),
    ({"content/demo/es/10-intro.md": None}, [],
     "content/demo/es: section 'intro' has no translation; translate content/demo/10-intro.md "
     "into content/demo/es/10-intro.md (same id), or build patient without this language"),
    ({"content/demo/es/10-intro.md": SPANISH["content/demo/es/10-intro.md"].replace(
        "::: patient", "::: patient country=UK")}, [],
     "content/demo/es/10-intro.md:8: 'UK' in 'country=UK' is not an ISO 3166 country code; "
     "use two capital letters, e.g. GB, US, IE, AU"),
    ({"content/demo/es/10-intro.md": SPANISH["content/demo/es/10-intro.md"].replace(
        "::: patient", "::: patient region=GB")}, [],
     "content/demo/es/10-intro.md:8: unknown block condition 'region=GB'; conditions are "
     "country=CC or country!=CC, e.g. country=GB,IE"),
    ({"content/demo/es/booklet.toml": SPANISH["content/demo/es/booklet.toml"].replace(
        'countries = ["GB"]', 'countries = ["UK"]', 1)}, [],
     "content/demo/es/booklet.toml:16: 'countries': 'UK' is not an ISO 3166 "
     "country code such as 'GB' or 'US'"),
    ({"content/demo/es/booklet.toml": SPANISH["content/demo/es/booklet.toml"].replace(
        'disclaimer = "Solo información general."\n', "")}, [],
     "content/demo/es/booklet.toml:1: missing required key 'disclaimer'"),
    ({"content/demo/es/booklet.toml": SPANISH["content/demo/es/booklet.toml"].replace(
        "[editions.patient]", "[editions.patiant]")}, [],
     "content/demo/es/booklet.toml:8: [editions.patiant] names no edition file; did you mean "
     "'patient'?"),
    ({}, ["--lang", "fr"], "nothing to build: no booklet has the edition(s) asked for in 'fr'"),
])
def test_bad_language_input_is_one_line_and_changes_nothing(
        tmp_path: Path, files: dict, args: list[str], message: str) -> None:
    root = make_project(tmp_path / "p", {**SMALL_PROJECT, **SPANISH})
    out = root / "output"
    assert main(["--project", str(root), "--out", str(out), "--quiet"]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    for name, text in files.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).write_text(text)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--out", "output", *args],
                            cwd=root, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_a_broken_catalog_is_one_line_naming_its_line(tmp_path: Path, monkeypatch) -> None:
    from booklet import i18n

    locales = tmp_path / "locales"
    po = locales / "es" / "LC_MESSAGES" / "booklet.po"
    po.parent.mkdir(parents=True)
    po.write_text((LOCALES_DIR / "es/LC_MESSAGES/booklet.po").read_text().replace(
        'msgstr "Contenido"', 'msgstr Contenido"'))
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    i18n.translations.cache_clear()
    try:
        with pytest.raises(i18n.BookletError) as caught:
            i18n.translations("es")
    finally:
        i18n.translations.cache_clear()
    line = po.read_text().splitlines().index('msgstr Contenido"') + 1
    assert caught.value.file == po and caught.value.line == line
    assert caught.value.message.startswith("message catalog cannot be compiled")


def test_a_catalog_leading_outside_the_package_is_refused(tmp_path: Path, monkeypatch) -> None:
    from booklet import i18n

    outside = tmp_path / "elsewhere.po"
    outside.write_text((LOCALES_DIR / "es/LC_MESSAGES/booklet.po").read_text())
    po = tmp_path / "locales" / "es" / "LC_MESSAGES" / "booklet.po"
    po.parent.mkdir(parents=True)
    po.symlink_to(outside)
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path / "locales")
    i18n.translations.cache_clear()
    try:
        with pytest.raises(i18n.BookletError) as caught:
            i18n.translations("es")
    finally:
        i18n.translations.cache_clear()
    assert caught.value.file == po
    assert caught.value.message == f"message catalog leads outside booklet's folder, to {outside}"


@pytest.mark.parametrize("tag", ["en", "es", "es-419", "es-US", "en-GB", "fr-CA", "zh-Hant"])
def test_bcp47_tags_are_accepted(tag: str) -> None:
    from booklet.i18n import parse_tag

    assert parse_tag(tag).language == tag.split("-")[0]


@pytest.mark.parametrize("tag", ["en_US", "english", "xx-YY", "es-", ""])
def test_malformed_or_unknown_tags_are_refused(tag: str) -> None:
    from booklet.i18n import parse_tag

    with pytest.raises(ValueError):
        parse_tag(tag)


def test_catalogs_are_found_for_regional_tags() -> None:
    from booklet.i18n import catalog_for

    assert catalog_for("es-419") == catalog_for("es-US") == "es"
    assert catalog_for("en-GB") == "en" and catalog_for("fr-CA") is None
