"""The dashboard by role (issue 16, part 5): each user sees what is due and by when — submissions
owed, verification assignments not done, appeals awaiting a decision, rectification items to act
on or overdue, open findings — and, where results may be seen, each unit's data completeness; only
for the units the user sees, each row linking to the page where it is dealt with.

The world (conftest): cycle ``open`` (2019) in submission, ``done`` (2018) in feedback with the
world's run (both provinces graded, complete) and an open finding at 长安区 (Hebei) and one at
小店区 (Shanxi), a rectification of 长安区 due 2030 for team A, and cycle ``verify`` (2017) in
verification with household H1 of 长安区 assigned to team A."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select, update

from kaohe.store.models import Result
from kaohe.workflow import findings, rectification

from .test_every_word import problems

PAST = dt.date(2020, 1, 1)  # a deadline long gone


def _section(page: str, block: str) -> str:
    """The HTML of one block of the dashboard ("" when it is not shown)."""
    found = re.search(rf'<section class="card" id="work-{block}">(.*?)</section>', page, re.S)
    return found.group(1) if found else ""


def _overdue_items(db, world):
    """An overdue rectification at 长安区 (Hebei) and one at 小店区 (Shanxi)."""
    assessor = world["actors"]["assessor"]
    with db.write("assessor", "rectification.create") as session:
        hebei = rectification.create(session, assessor, world["done"], "130102", "补齐档案", PAST)
        shanxi = rectification.create(session, assessor, world["done"], "140105", "补齐档案", PAST)
    return hebei.id, shanxi.id


def _withhold_hebei(db, world):
    """The world's run with Hebei's grade withheld for missing data (60 % backed by data)."""
    with db.write("setup", "withhold") as session:
        result = session.scalar(
            select(Result).where(Result.unit_code == "130000").order_by(Result.id.desc())
        )
        explained = dict(result.explain, status="withheld", completeness=0.6)
        session.execute(update(Result).where(Result.id == result.id).values(explain=explained))


def test_a_province_sees_its_own_work_and_not_another_provinces(login, world, db):
    _overdue_items(db, world)
    page = login("hebei").get("/dashboard").text
    done, open_cycle = world["done"], world["open"]

    owed = _section(page, "submissions")  # the survey it reports for its counties, not yet sent
    assert "农村贫困监测调查" in owed and f'href="/cycles/{open_cycle}/submissions"' in owed

    rectify = _section(page, "rectification")  # evidence owed: the overdue item first
    assert "待提交佐证的整改事项（2）" in rectify
    assert f'href="/cycles/{done}/rectifications"' in rectify
    first, second = re.findall(r"<tr[^>]*>.*?</tr>", rectify.split("<tbody>")[1], re.S)
    assert 'class="overdue"' in first and "已逾期" in first and "2020年1月1日" in first
    assert 'class="overdue"' not in second and "2030年1月1日" in second
    assert "其中逾期 1" in page

    found = _section(page, "findings")
    assert "长安区" in found and "档案不全" in found and f'href="/cycles/{done}/findings"' in found
    assert "小店区" not in page  # Shanxi's finding and overdue item are not Hebei's

    completeness = _section(page, "completeness")  # its own province only
    assert "河北省" in completeness and "100.00 %" in completeness
    assert "山西省" not in completeness
    assert f'href="/cycles/{done}/results/130000"' in completeness

    assert _section(page, "overdue") == ""  # shown in its own work already
    assert _section(page, "verification") == "" and _section(page, "appeals") == ""
    assert "考核周期" in page and "基层减负" in page  # what the dashboard showed before stays


def test_the_other_province_sees_its_items_only(login, world, db):
    _overdue_items(db, world)
    page = login("shanxi").get("/dashboard").text
    rectify = _section(page, "rectification")
    assert "待提交佐证的整改事项（1）" in rectify and "小店区" in rectify
    assert "长安区" not in page


def test_the_assessor_sees_overdue_items_and_completeness_per_unit(login, world, db):
    _overdue_items(db, world)
    _withhold_hebei(db, world)
    page = login("assessor").get("/dashboard").text
    done = world["done"]

    late = _section(page, "overdue")
    assert "逾期的整改事项（2）" in late and "长安区" in late and "小店区" in late
    assert "补齐档案" in late and "2030" not in late  # the item due in 2030 is not overdue
    assert _section(page, "rectification") == ""  # an assessor neither owes nor verifies

    completeness = _section(page, "completeness")
    rows = re.findall(r"<tr class=\"([^\"]+)\">(.*?)</tr>", completeness, re.S)
    assert [(kind, "河北省" in row, "山西省" in row) for kind, row in rows] == [
        ("status-withheld incomplete", True, False),  # the least complete first
        ("status-graded", False, True),
    ]
    assert "60.00 %" in rows[0][1] and "不予评定（待定）" in rows[0][1]
    assert "100.00 %" in rows[1][1] and "已评定" in rows[1][1]
    assert f'href="/cycles/{done}/results/130000"' in rows[0][1]
    assert f'href="/cycles/{done}/results/140000"' in rows[1][1]
    assert "1</a> 个单位数据不完整（共 2 个单位，1 个不予评定）" in page

    found = _section(page, "findings")
    assert "长安区" in found and "小店区" in found
    verify = _section(page, "verification")  # the assessor assigns: every team's
    assert "H1" in verify and f'href="/verification/{world["assignment"]}"' in verify


def test_the_reviewer_sees_appeals_awaiting_a_decision(login, world, db):
    changan = world["actors"]["changan"]
    with db.write("changan", "appeal.create") as session:
        findings.file_appeal(session, changan, world["finding"], "已补齐", today=dt.date.today())
    page = login("reviewer").get("/dashboard").text
    appeals = _section(page, "appeals")
    assert "待决定的申诉（1）" in appeals and "长安区" in appeals and "档案不全" in appeals
    assert f'href="/cycles/{world["done"]}/findings"' in appeals
    assert "小店区" not in appeals  # Shanxi has not appealed

    shanxi = _section(login("shanxi").get("/dashboard").text, "appeals")
    assert shanxi == ""  # none of its units' appeals is pending


def test_a_verifier_sees_its_teams_assignments(login, world, db):
    page = login("team_a").get("/dashboard").text
    verify = _section(page, "verification")
    assert "未完成的核查任务（1）" in verify and "长安区" in verify and "H1" in verify
    assert f'href="/verification/{world["assignment"]}"' in verify
    assert _section(page, "completeness") == ""  # verifiers see no results
    assert _section(page, "findings") == ""

    other = login("team_b").get("/dashboard").text
    assert _section(other, "verification") == "" and "H1" not in other
    assert '<span class="big ok">0</span> 未完成的核查任务' in other


def test_long_lists_show_ten_rows_and_where_the_rest_are(login, world, db):
    assessor = world["actors"]["assessor"]
    with db.write("assessor", "finding.create") as session:
        for _ in range(11):
            findings.create_finding(session, assessor, world["done"], "130104", "档案不全", 2)
    found = _section(login("hebei").get("/dashboard").text, "findings")
    assert "待处理的问题（12）" in found
    assert len(re.findall(r"<tr>", found.split("<tbody>")[1])) == 10
    assert "共 12 项，此处列出前 10 项，其余请见：" in found
    assert f'<a href="/cycles/{world["done"]}/findings">上年周期（12）</a>' in found


def _statements(db, client) -> int:
    """How many SQL statements one dashboard request runs."""
    seen = []

    def count(*_args) -> None:
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get("/dashboard").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_the_number_of_queries_does_not_grow_with_the_rows(login, world, db):
    client = login("assessor")
    client.get("/dashboard")  # the run's view is built once, then kept
    before = _statements(db, client)
    _overdue_items(db, world)
    assessor = world["actors"]["assessor"]
    with db.write("assessor", "finding.create") as session:
        for _ in range(15):
            findings.create_finding(session, assessor, world["done"], "140106", "档案不全", 1)
    assert _statements(db, client) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", ["hebei", "assessor", "reviewer", "team_a", "admin", "regulator"])
def test_every_word_in_the_users_language(login, world, db, lang, name):
    _overdue_items(db, world)
    _withhold_hebei(db, world)
    with db.write("changan", "appeal.create") as session:
        findings.file_appeal(
            session, world["actors"]["changan"], world["finding"], "已补齐", today=dt.date.today()
        )
    client = login(name)
    assert client.get(f"/lang/{lang}?next=/dashboard").status_code == 200
    page = client.get("/dashboard").text
    assert problems(page, lang) == []
    assert ("待办与提醒" if lang == "zh" else "Your work") in page


def test_no_completeness_without_units_of_ones_own(login, world):
    # the regulator sees banks only: the run grades provinces
    page = login("regulator").get("/dashboard").text
    assert _section(page, "completeness") == "" and "数据完整度" not in page
