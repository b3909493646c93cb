"""Every HTML page of the platform in real Chromium (Debian's, driven by Playwright) against a
real server, in Chinese and in English: each answers, its charts are drawn, the browser logs no
JavaScript error and loads every /static asset; a full-page screenshot of each is left in
build/screenshots/pages/<lang>/<page>.png with an index, build/screenshots/index.html, for a person
to look at.

The pages are the authorization matrix's (``get_routes``, downloads and /api/ left out, as the
every-word test reads them), the job pages, the login page and a 404: a page added to the matrix
is opened here without touching this file. Each page is opened once per language by one role
that may see it: a province's own unit by its province (hebei), anything else by the assessor,
else the administrator. One browser, one context per role, each logged in once: every visit goes
through ``/lang/<lang>?next=<page>``, so one session serves both languages.

``KAOHE_UPDATE_DOC_SCREENSHOTS=1`` also writes the copies docs/web.md shows (docs/screenshots/:
a few key pages at 1280×800, reduced to 256 colours so each stays small)."""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Error as PlaywrightError
from tests.support.platform_world import WORLD_PASSWORD, WORLD_USERS
from tests.support.servers import serving

from .conftest import CHROMIUM
from .test_authorization import _world_scheme, objects  # noqa: F401 (fixtures)
from .test_every_word import _more_objects, html_pages

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no /usr/bin/chromium")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
LANGUAGES = ("zh", "en")
VIEWPORT = {"width": 1280, "height": 800}
OFFICE_ROLES = ("assessor", "admin")  # who opens a page, in this order, when allowed
PROVINCE = "hebei"
PROVINCE_UNIT = WORLD_USERS[PROVINCE][1]  # 130000: its pages are opened by the province itself
MISSING = "/no-such-page"
# The pages docs/web.md shows: its name in docs/screenshots/ -> (page, element whose card is
# scrolled to, where in the 1280×800 window: "start", "center" or "end")
DOC_PAGES = {
    "dashboard": ("dashboard", None, None),
    "ranking": ("cycles-done-results", "#ranking-chart", "end"),
    "map": ("cycles-done-results", "#map-chart", "center"),
    "scorecard": ("cycles-done-results-140000", "#distribution-chart", "start"),
    "pivot": ("pivot", None, None),
    "findings": ("cycles-done-findings", "table", "center"),  # the findings, then the appeals
}
CHARTS_DRAWN = """() => [...document.querySelectorAll("[data-chart]")].every(
    (el) => el.getAttribute("data-rendered") === "true" && el.querySelector("canvas"))"""
# ECharts animates a chart's first frames (one second by default): the screenshot waits for each
# chart's "finished", or for no frame drawn in 300 ms (a chart already still, such as the map).
CHARTS_STILL = """() => Promise.all([...document.querySelectorAll("[data-chart]")].map(
    (el) => new Promise((resolve) => {
        const chart = echarts.getInstanceByDom(el);
        let still = setTimeout(resolve, 300);
        chart.on("rendered", () => { clearTimeout(still); still = setTimeout(resolve, 300); });
        chart.on("finished", resolve);
    })))"""


@dataclass
class Shot:
    """One page opened in one language: what a person finds in the index."""

    lang: str
    path: str
    role: str | None  # None: not logged in (the login page)
    slug: str
    status: int = 0
    download: bool = False  # a file (the pivot's xlsx, a verification sheet): no screenshot
    problems: list[str] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"pages/{self.lang}/{self.slug}.png"


@pytest.fixture
def server(app, settings):
    """The test's app (with the world's scheme for the self-evaluation pages) under uvicorn,
    without its lifespan: no job worker, so the queued job's page shows a queued job."""
    with serving(app, lifespan="off") as url:
        yield url


def _slug(path: str, names: dict[tuple[str, int], str]) -> str:
    """A page's file name that does not change with the database's ids: a cycle, job or
    verification assignment by its part in the world (``cycles-done-results-140000``)."""
    segments = [s for s in path.split("/") if s]
    named = [
        names.get((before, int(s)), s) if s.isdigit() else s
        for before, s in zip(["", *segments], segments, strict=False)
    ]
    return "-".join(named) or "home"


def _id_names(o: dict, extra: dict) -> dict[tuple[str, int], str]:
    names = {("cycles", o[name]): name for name in ("open", "done", "verify")}
    names.update({("jobs", job): name.removesuffix("_job") for name, (_, job) in extra.items()})
    names[("verification", o["assignment"])] = "assignment"
    return names


def _role_for(path: str, allowed: set[str]) -> str:
    if PROVINCE in allowed and PROVINCE_UNIT in path.split("/"):
        return PROVINCE
    return next((r for r in OFFICE_ROLES if r in allowed), None) or sorted(allowed)[0]


def _shots(o: dict, extra: dict) -> list[Shot]:
    names = _id_names(o, extra)
    pages = dict(html_pages(o, extra))  # a path listed twice is one page
    shots = []
    for lang in LANGUAGES:
        shots.append(Shot(lang, "/login", None, "login"))
        for path, allowed in pages.items():
            shots.append(Shot(lang, path, _role_for(path, allowed), _slug(path, names)))
        shots.append(Shot(lang, MISSING, OFFICE_ROLES[0], "404"))
    return shots


class Browsing:
    """One page per role (its own context, logged in once), recording what goes wrong."""

    def __init__(self, browser, base: str):
        self.browser, self.base = browser, base
        self.pages = {}
        self.problems: list[str] = []

    def page(self, role: str | None):
        if role not in self.pages:
            self.pages[role] = self._open(role)
        self.problems = []
        return self.pages[role]

    def _open(self, role: str | None):
        context = self.browser.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10000)
        page.on("pageerror", lambda error: self.problems.append(f"JS error: {error}"))
        page.on("console", self._console)
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        if role is not None:
            page.goto(f"{self.base}/login")
            page.fill("input[name=username]", role)
            page.fill("input[name=password]", WORLD_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{self.base}/dashboard")
        return page

    def _console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.problems.append(f"console error: {message.text} ({where})")

    def _failed(self, request) -> None:
        # net::ERR_ABORTED: cancelled as the test moved on to the next page (the favicon, mostly);
        # an asset that is missing answers 404, which _response reports
        if "/static/" in request.url and request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} ({request.failure})")

    def _response(self, response) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.problems.append(f"static asset {response.status}: {response.url}")

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


def _visit(browsing: Browsing, shot: Shot) -> None:
    page = browsing.page(shot.role)
    try:
        response = page.goto(f"{browsing.base}/lang/{shot.lang}?next={quote(shot.path)}")
    except PlaywrightError as error:
        # the matrix's pages are told from its files by what they answer (as the every-word
        # test does): Chromium starts a download instead of showing a page
        if "Download is starting" not in str(error):
            raise
        shot.download = True
        return
    shot.status = response.status
    expected = 404 if shot.path == MISSING else 200
    if shot.status != expected:
        shot.problems.append(f"status {shot.status}, expected {expected}")
    shown = page.get_attribute("html", "lang") or ""
    if not shown.startswith(shot.lang):
        shot.problems.append(f"page in {shown!r}, not {shot.lang}")
    if page.locator("[data-chart]").count():
        page.wait_for_function(CHARTS_DRAWN)
        page.evaluate(CHARTS_STILL)
    path = SCREENSHOTS / shot.file
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    if shot.path == MISSING:  # the 404 itself, which Chromium logs as a resource not loaded
        itself = f"({browsing.base}{MISSING})"
        browsing.problems = [p for p in browsing.problems if not p.endswith(itself)]
    shot.problems += browsing.problems


def _doc_copies(browsing: Browsing, shots: list[Shot]) -> None:
    """The key pages at 1280×800 for docs/web.md, in 256 colours (Pillow, when installed)."""
    from PIL import Image  # only here: Pillow is needed to update the docs, not to test

    by_slug = {(s.lang, s.slug): s for s in shots}
    DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, (slug, element, block) in DOC_PAGES.items():
        for lang in LANGUAGES:
            shot = by_slug[lang, slug]
            page = browsing.page(shot.role)
            page.goto(f"{browsing.base}/lang/{lang}?next={quote(shot.path)}")
            if page.locator("[data-chart]").count():
                page.wait_for_function(CHARTS_DRAWN)
                page.evaluate(CHARTS_STILL)
            if element:
                page.locator(element).first.evaluate(
                    "(el, block) => (el.closest('.card') || el).scrollIntoView({block})", block
                )
            path = DOC_SCREENSHOTS / f"{name}-{lang}.png"
            page.screenshot(path=str(path), animations="disabled")
            image = Image.open(path).convert("RGB").quantize(colors=256)
            image.save(path, optimize=True)


def _index(shots: list[Shot]) -> None:
    rows = []
    for shot in shots:
        role = html.escape(shot.role or "—")
        problems = html.escape("; ".join(shot.problems)) or "—"
        rows.append(
            f"<tr><td>{shot.lang}</td><td><code>{html.escape(shot.path)}</code></td>"
            f"<td>{role}</td><td>{shot.status}</td><td>{problems}</td>"
            f'<td><a href="{shot.file}"><img src="{shot.file}" width="320" loading="lazy"'
            f' alt="{html.escape(shot.slug)}"></a></td></tr>'
        )
    others = sorted(p.name for p in SCREENSHOTS.glob("*.png"))  # the charts test's close-ups
    more = "".join(f'<li><a href="{name}">{name}</a></li>' for name in others)
    (SCREENSHOTS / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>Kaohe screenshots</title>'
        "<style>body{font-family:sans-serif}td{vertical-align:top;padding:4px 8px}"
        "tr:nth-child(even){background:#f4f6f8}</style>"
        f"<h1>Kaohe: every page in Chinese and in English</h1>"
        f"<p>Written by tests/web/test_browser_pages.py, {time.strftime('%Y-%m-%d %H:%M')}."
        " A click on a screenshot opens it full size.</p>"
        "<table><tr><th>lang</th><th>URL</th><th>role</th><th>HTTP</th><th>problems</th>"
        f"<th>screenshot</th></tr>{''.join(rows)}</table>"
        + (f"<h2>Charts and map close-ups</h2><ul>{more}</ul>" if more else ""),
        encoding="utf-8",
    )


def test_every_page_in_both_languages_in_chromium(browser, server, db, objects):  # noqa: F811
    extra = _more_objects(db, objects)
    shots = _shots(objects, extra)
    browsing = Browsing(browser, server)
    try:
        for shot in shots:
            try:
                _visit(browsing, shot)
            except PlaywrightError as error:  # a page that times out: reported, the rest go on
                shot.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
        shots = [s for s in shots if not s.download]
        _index(shots)
        if os.environ.get("KAOHE_UPDATE_DOC_SCREENSHOTS") == "1":
            _doc_copies(browsing, shots)
    finally:
        browsing.close()
    failures = [f"{s.lang} {s.path} ({s.role}): {p}" for s in shots for p in s.problems]
    assert not failures, "\n".join(failures)
