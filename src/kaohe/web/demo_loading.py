"""``kaohe serve --demo`` on a new database: the platform answers at once while the demo loads in
the background. Until it is loaded every page (the assets under ``/static`` aside) is a 503 that
shows how far the load has come and asks again every two seconds; a failed load shows its error.
Once loaded the middleware passes every request through.

The state is written by the loading thread and read by the server's: each field is replaced
whole, so a reader sees an old value or a new one, never half of one.
"""

from __future__ import annotations

import html
import json

from ..i18n import text

RETRY_SECONDS = 2


class DemoLoading:
    """How far the load has come: the fraction done, the step under way, an error if it failed.
    ``labels`` names each step (its key → Chinese and English) in the user's language."""

    def __init__(self, labels: dict[str, tuple[str, str]]):
        self.labels = labels
        self.fraction = 0.0
        self.step = ""
        self.error: str | None = None
        self.done = False

    def report(self, fraction: float, step: str) -> None:
        self.fraction, self.step = fraction, step

    def fail(self, message: str) -> None:
        self.error = message

    def finish(self) -> None:
        self.fraction, self.done = 1.0, True

    def step_label(self) -> str:
        zh, en = self.labels.get(self.step, (self.step, self.step))
        return text(zh, en)

    def percent(self) -> int:
        return int(self.fraction * 100)


def _loading_page(loading: DemoLoading) -> tuple[str, str]:
    """The title and body of the page shown while loading."""
    percent = loading.percent()
    title = text(f"正在载入演示数据 {percent}%", f"loading the demo data {percent}%")
    body = (
        f'<progress max="100" value="{percent}">{percent}%</progress>'
        f"<p>{html.escape(loading.step_label())}</p>"
        + text(
            "<p>首次启动需要生成并计算演示数据；本页每两秒自动刷新，载入完成后即可登录。</p>",
            "<p>The first start generates and assesses the demo data; this page reloads every "
            "two seconds and the platform opens when the data is loaded.</p>",
        )
    )
    return title, body


def _failed_page(loading: DemoLoading) -> tuple[str, str]:
    title = text("演示数据载入失败", "the demo data could not be loaded")
    body = f"<p>{html.escape(loading.error or '')}</p>" + text(
        "<p>请查看启动平台的终端，修正后重新启动。</p>",
        "<p>See the terminal that started the platform, then start it again.</p>",
    )
    return title, body


def _html(title: str, body: str, refresh: bool) -> bytes:
    lang = text("zh-CN", "en")
    meta = f'<meta http-equiv="refresh" content="{RETRY_SECONDS}">' if refresh else ""
    page = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">{meta}'
        f"<title>{html.escape(title)}</title>"
        '<link rel="stylesheet" href="/static/app.css"></head>'
        f'<body><main class="container"><h1>{html.escape(title)}</h1>{body}</main></body></html>'
    )
    return page.encode("utf-8")


def answer(loading: DemoLoading, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of the answer to a request while the demo is not loaded: JSON
    under ``/api``, a page elsewhere."""
    failed = loading.error is not None
    status = 500 if failed else 503
    headers = [] if failed else [(b"retry-after", str(RETRY_SECONDS).encode())]
    if path.startswith("/api/"):
        if failed:
            detail = text(
                f"演示数据载入失败：{loading.error}",
                f"the demo could not be loaded: {loading.error}",
            )
        else:
            detail = text(
                f"正在载入演示数据 {loading.percent()}%",
                f"loading the demo data {loading.percent()}%",
            )
        body = json.dumps(
            {"detail": detail, "progress": loading.fraction, "step": loading.step},
            ensure_ascii=False,
        ).encode("utf-8")
        return status, [*headers, (b"content-type", b"application/json")], body
    title, content = _failed_page(loading) if failed else _loading_page(loading)
    body = _html(title, content, refresh=not failed)
    return status, [*headers, (b"content-type", b"text/html; charset=utf-8")], body


class DemoLoadingMiddleware:
    """Pure ASGI, inside the session and language middlewares (so the page is in the user's
    language); ``create_app`` adds it only when given a ``DemoLoading``."""

    def __init__(self, app, loading: DemoLoading):
        self.app = app
        self.loading = loading

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.loading.done or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        status, headers, body = answer(self.loading, scope["path"])
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
