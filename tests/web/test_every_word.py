"""Every word in the user's language: each role of the test world opens every page it may see,
in Chinese and in English, and the visible text holds no internal identifier (a status, role,
cycle state, ledger event or finding origin as the code stores it), no untranslated English on a
Chinese page and no Chinese on an English page beyond the data's own names and the policy terms
the English text gives beside their translation ("approve (审定)").

What the user reads: the text of the page without its tags, scripts and styles, plus the
``title``, ``aria-label``, ``alt`` and ``placeholder`` attributes. Left out, on purpose: the
contents of ``<code>`` (identifiers shown as identifiers: a source's id, an expression, an audit
record's JSON), elements marked ``class="user"`` (a user name is whatever its owner chose: the
world's users are called after their roles) and elements marked in the other language (``lang="zh-CN"``
on the language switcher's 中文 on an English page).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from tests.support.platform_world import WORLD_SCHEME, WORLD_UNITS, WORLD_USERS

from kaohe.i18n import use_language
from kaohe.outcomes import lifecycle
from kaohe.store.models import Job
from kaohe.workflow import findings, jobs, roles, states

from .test_authorization import _world_scheme, get_routes, objects  # noqa: F401 (fixtures)

# --- the vocabularies whose raw values must never be shown ---------------------------------------

RAW = (
    set(lifecycle.STATUSES)
    | set(lifecycle.EVENT_KINDS)
    | set(findings.FINDING_STATUSES)
    | set(findings.APPEAL_STATUSES)
    | {o.code for o in findings.ORIGINS}
    | set(jobs.STATES)
    | set(states.BY_ID)
    | set(roles.ROLES)
)
# On an English page most of them are plain English words ("open", "review", "assessor"): there
# only the ones no English sentence holds (``verification_failed``, ``third_party``) are looked for.
RAW_EN = {word for word in RAW if "_" in word}

# --- words a Chinese page may show in Latin letters ----------------------------------------------

LATIN_ALLOWED = {
    # the product, file formats, encodings and protocols, abbreviations read as such
    "kaohe",
    "english",  # the language switcher's name of English
    "excel",
    "xlsx",
    "csv",
    "pdf",
    "png",
    "jpg",
    "utf",
    "json",
    "api",
    "id",
    "htmx",
    "csrf",
    "utc",
    "sha",
    "mb",
    "kb",
    "gb",
    "v",  # a version: v1
    "h",  # the world's household ids: H1
    "b",  # the world's bank: B001
}
# the world's own data in Latin letters (unit codes are digits; the scheme's id is shown as data)
LATIN_DATA = {"world", "test", "proof", "s"}  # with the names of the files this test uploads

# --- Chinese an English page may show ------------------------------------------------------------


def _world_names() -> set[str]:
    """The names the world's data holds: units, teams, the scheme's labels, the cycles' titles,
    the finding's kind, the rectification's title (as the data gives them, in Chinese)."""
    names = set()
    for line in WORLD_UNITS.splitlines()[1:]:
        names.update(re.findall(r"[\u3400-\u9fff]+", line))
    names.update(re.findall(r"[\u3400-\u9fff]+", WORLD_SCHEME))
    names.update(["第一评估组", "第二评估组", "测试周期", "上年周期", "核查周期", "档案不全"])
    names.update(["补齐档案", "已补齐", "材料不实", "不予支持"])  # this test's appeals
    return names


CHINESE_ALLOWED = _world_names() | {"考核"}  # the product's name beside "Kaohe"

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z_]*")
WIDE_COLON = re.compile(r"[A-Za-z]+ ?：")
TEXT_ATTRIBUTES = ("title", "aria-label", "alt", "placeholder")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}


class VisibleText(HTMLParser):
    """The text a user reads (see the module's docstring for what is left out)."""

    def __init__(self, lang: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = lang
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: whether its text is skipped

    def _skipped(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        skip = (
            tag in ("script", "style", "code", "datalist")
            or "user" in (attributes.get("class") or "").split()
            or (attributes.get("lang") or self.lang)[:2] != self.lang
        )
        if not self._skipped() and not skip:
            self.parts.extend(attributes[a] for a in TEXT_ATTRIBUTES if attributes.get(a))
        if tag not in VOID:
            self.stack.append(skip)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not self._skipped():
            self.parts.append(data)


def visible_text(html: str, lang: str) -> str:
    parser = VisibleText(lang)
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def problems(html: str, lang: str) -> list[str]:
    """What a user of ``lang`` should not read on this page."""
    shown = visible_text(html, lang)
    found = []
    words = LATIN_WORD.findall(shown)
    raw = RAW if lang == "zh" else RAW_EN
    found += [f"identifier {w!r}" for w in sorted(set(words) & raw)]
    if lang == "zh":
        english = {w for w in words if w.lower() not in LATIN_ALLOWED | LATIN_DATA}
        found += [f"English {w!r}" for w in sorted(english - raw)]
    else:
        # a policy term beside its translation: "approve (审定)"
        without_terms = re.sub(r"[(（][^()（）]*[)）]", " ", shown)
        chinese = set(CJK.findall(without_terms)) - CHINESE_ALLOWED
        found += [f"Chinese {c!r}" for c in sorted(chinese)]
        # Chinese punctuation after English words: "Grade：一般" (a colon of the other language)
        found += [f"full-width colon {m!r}" for m in sorted(set(WIDE_COLON.findall(shown)))]
    return found


# --- the pages -----------------------------------------------------------------------------------


def _more_objects(db, o):
    """Statuses the world does not reach by itself: a pending appeal, a rejected one (its finding
    upheld), a queued and a failed computation job."""
    actors = o["actors"]
    with db.write("changan", "appeal.create") as session:
        findings.file_appeal(
            session, actors["changan"], o["finding"], "已补齐", today=dt.date.today()
        )
    with db.write("shanxi", "appeal.create") as session:
        appeal = findings.file_appeal(
            session, actors["shanxi"], o["other_finding"], "材料不实", today=dt.date.today()
        )
    with db.write("reviewer", "appeal.decide") as session:
        findings.decide_appeal(session, actors["reviewer"], appeal.id, False, "不予支持")
    with db.write("assessor", "results.compute.request") as session:
        queued, _ = jobs.enqueue(session, "assessor", "compute", o["open"], {})
        failed, _ = jobs.enqueue(session, "assessor", "compute", o["verify"], {})
        session.get(Job, failed.id).state = "failed"
    return {"queued_job": (o["open"], queued.id), "failed_job": (o["verify"], failed.id)}


def html_pages(o, extra):
    pages = [(path, allowed) for path, allowed in get_routes(o) if not _is_download(path)]
    everyone = set(WORLD_USERS)
    for cycle, job in extra.values():
        pages.append((f"/cycles/{cycle}/jobs/{job}", everyone))
    pages.append((f"/cycles/{o['done']}/self-evaluation", everyone - {"team_a", "team_b"}))
    return pages


def _is_download(path: str) -> bool:
    return (
        path.startswith("/api/")
        or path.endswith(("/template", "/file", "/annotated"))
        or path.startswith("/attachments/")
    )


@pytest.fixture
def pages(db, objects):  # noqa: F811 (the fixture imported above)
    extra = _more_objects(db, objects)
    return html_pages(objects, extra)


def _in(client, lang: str):
    assert client.get(f"/lang/{lang}?next=/dashboard").status_code == 200
    return client


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_every_role_in_the_users_language(pages, login, lang):
    failures = []
    for name in WORLD_USERS:
        client = _in(login(name), lang)
        for path, allowed in pages:
            if name not in allowed:
                continue
            response = client.get(path)
            assert response.status_code == 200, f"{name} GET {path}: {response.status_code}"
            if not response.headers["content-type"].startswith("text/html"):
                continue  # a file to download (a template, a sheet)
            for problem in problems(response.text, lang):
                line = f"{name} {path}: {problem}"
                failures.append(line)
    assert not failures, "\n".join(sorted(set(failures)))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_login_and_error_pages_in_the_users_language(world, login, app, lang):
    from fastapi.testclient import TestClient

    anonymous = TestClient(app, raise_server_exceptions=False)
    anonymous.get(f"/lang/{lang}?next=/login")
    pages = {"/login": anonymous.get("/login")}
    client = _in(login("hebei"), lang)
    pages["404"] = client.get("/no-such-page")
    pages["405"] = client.get("/logout")
    pages["403"] = client.get("/admin/users")
    pages["413"] = client.post(
        f"/cycles/{world['open']}/submissions/monitoring_survey",
        content=b"x" * (11 * 1024 * 1024),
        headers={"content-type": "multipart/form-data; boundary=b", "x-csrf-token": client.csrf},
    )
    assert [pages[s].status_code for s in ("404", "405", "403", "413")] == [404, 405, 403, 413]
    failures = [f"{page}: {p}" for page, r in pages.items() for p in problems(r.text, lang)]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_refusals_name_roles_and_events_in_the_users_language(lang):
    """The workflow's refusals a page shows: a role that may not move the cycle, an event the
    lifecycle does not allow now."""
    with use_language(lang):
        with pytest.raises(Exception) as role_refusal:
            states.transition("review", "approval", "assessor")
        # what the platform shows when the ledger's lifecycle refuses (``rectification._move``)
        event_refusal = lifecycle.refusal("open", "verification_failed")
    for message in (str(role_refusal.value), event_refusal):
        assert not problems(f"<p>{message}</p>", lang), message


def test_the_check_catches_raw_values():
    """The check itself: a raw status, role or event on a page is caught."""
    assert problems("<td>pending</td>", "zh") == ["identifier 'pending'"]
    assert problems("<p>角色 assessor 不能执行</p>", "zh") == ["identifier 'assessor'"]
    assert problems("<p>cannot take verification_failed</p>", "en") == [
        "identifier 'verification_failed'"
    ]
    assert problems("<p>Findings: 待处理</p>", "en") == ["Chinese '待处理'"]
    assert problems("<p>Grade：good</p>", "en") == ["full-width colon 'Grade：'"]
    assert problems("<p>approve (审定) 河北省</p>", "en") == []
    assert problems('<span class="user">assessor</span> <code>open</code>', "zh") == []
    assert problems('<a title="locked">x</a>', "zh") == ["English 'locked'", "English 'x'"]
