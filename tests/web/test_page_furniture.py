"""What every page carries besides its content, as issue 16 found it missing: a favicon, icons
from the vendored set rather than an emoji a machine without an emoji font shows as an empty box,
and a title that names the year once ("…（2018年度）", not "…（2018年度） 2018")."""

from __future__ import annotations

import re

from kaohe.store.models import Cycle


def test_every_page_links_the_favicon_and_it_is_served(login, world):
    client = login("assessor")
    page = client.get("/dashboard").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_a_locked_cycle_shows_the_lock_icon_not_an_emoji(login, world):
    page = login("assessor").get("/dashboard").text
    assert "🔒" not in page
    lock = re.search(r'<svg class="icon locked" role="img" aria-label="([^"]+)">', page)
    assert lock and lock.group(1) == "已审定，数据已锁定"
    assert '<use href="/static/icons.svg#lock"/>' in page
    sprite = login("assessor").get("/static/icons.svg")
    assert sprite.status_code == 200 and 'id="lock"' in sprite.text


def test_a_title_that_names_its_year_is_not_followed_by_the_year_again(login, world, db):
    with db.write("setup", "title") as session:
        session.get(Cycle, world["open"]).title = "测试周期（2019年度）"
    page = login("assessor").get(f"/cycles/{world['open']}/results").text
    heading = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert heading == "考核结果排名 · 测试周期（2019年度）"
    done = login("assessor").get(f"/cycles/{world['done']}/results").text
    assert re.search(r"<h1>(.*?)</h1>", done).group(1) == "考核结果排名 · 上年周期 2018"
