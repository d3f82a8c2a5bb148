"""render(): the page frame every screen shares, through FastAPI's TestClient: escaping, the CSRF token
in forms and htmx headers, the nav, the language, static URLs and the error page."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from jinja2 import UndefinedError

from api.web.render import environment, nav_items, render, render_error, static, url_with


@dataclass(frozen=True)
class FakePrincipal:
    """What base.html reads of api.deps.Principal."""

    username: str | None = "ann"
    display_name: str = "Ann <b>Analyst</b>"
    key_id: str | None = None
    workspace: str = "default"
    role: str = "analyst"
    workspaces: tuple[str, ...] = ("default", "acme & co")
    language: str = "en"


TOKEN = "tok'\"</script><b>"


def client(principal: FakePrincipal | None = FakePrincipal(), token: str | None = TOKEN) -> TestClient:
    app = FastAPI()

    @app.middleware("http")
    async def state(request: Request, call_next: Any) -> Response:
        if principal is not None:
            request.state.principal = principal
        if token is not None:
            request.state.csrf_token = token
        response: Response = await call_next(request)
        return response

    @app.get("/login")
    def login(request: Request) -> Response:
        context = {"next": "/alerts", "username": "<ann>", "error": None, "notice": None}
        return render(request, "login.html", context)

    @app.get("/{path:path}")
    def anything(request: Request, path: str) -> Response:
        error = {"code": "not_found", "status": 404, "message": f"no page <{path}>", "request_id": "req-123"}
        return render_error(request, error, 404)

    return TestClient(app)


def test_the_frame_escapes_user_data_and_carries_the_csrf_token() -> None:
    page = client().get("/explore/x?q=<a>&page=2")
    assert page.status_code == 404
    body = page.text
    assert "Ann &lt;b&gt;Analyst&lt;/b&gt;" in body
    assert "no page &lt;explore/x&gt;" in body
    assert "<b>" not in body
    (headers,) = re.findall(r"<body hx-headers='([^']*)'", body)
    assert json.loads(html.unescape(headers)) == {"X-CSRF-Token": TOKEN}
    (field,) = re.findall(r'<input type="hidden" name="csrf_token" value="([^"]*)">', body)
    assert html.unescape(field) == TOKEN
    assert 'action="/logout"' in body


def test_the_nav_marks_the_current_section_and_offers_workspaces_and_languages() -> None:
    body = client().get("/alerts/rules").text
    assert '<a href="/alerts" aria-current="page">Alerts</a>' in body
    assert body.count('aria-current="page"') == 1
    assert '/workspace/acme%20%26%20co?next=/alerts/rules"' in body
    assert '/lang/zh?next=/alerts/rules"' in body
    assert [item.href for item in nav_items("/mentions/abc") if item.active] == ["/explore"]
    # One workspace: its name, no switch.
    single = client(replace(FakePrincipal(), workspaces=("default",))).get("/alerts").text
    assert "/workspace/" not in single


def test_the_login_page_has_no_nav_or_user_and_no_empty_csrf_field() -> None:
    body = client(principal=None, token=None).get("/login").text
    assert 'class="site-nav"' not in body
    assert "/logout" not in body
    assert 'name="csrf_token"' not in body
    assert """hx-headers='{"X-CSRF-Token": ""}'""" in body
    assert 'value="&lt;ann&gt;"' in body
    assert '<input type="hidden" name="next" value="/alerts">' in body


def test_language_comes_from_cookie_then_user_then_browser() -> None:
    zh_user = client(replace(FakePrincipal(), language="zh"))
    assert '<html lang="zh-CN">' in zh_user.get("/x").text
    zh_user.cookies.set("lang", "en")
    page = zh_user.get("/x")
    assert '<html lang="en">' in page.text
    assert page.headers["content-language"] == "en"
    anonymous = client(principal=None).get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert "登录 Earful" in anonymous.text
    assert anonymous.headers["content-language"] == "zh-CN"
    assert "Cookie" in anonymous.headers["vary"]


def test_the_error_page_is_in_the_page_language_with_the_request_id() -> None:
    chinese = client()
    chinese.cookies.set("lang", "zh")
    page = chinese.get("/nowhere")
    assert page.status_code == 404
    assert "错误 404" in page.text
    assert "未找到。" in page.text
    assert "请求编号: <code>req-123</code>" in page.text


def test_static_urls_carry_a_content_hash_and_missing_files_fail_at_render() -> None:
    url = static("earful.css")
    assert re.fullmatch(r"/static/earful\.css\?v=[0-9a-f]{12}", url)
    assert static("vendor/htmx.min.js").startswith("/static/vendor/htmx.min.js?v=")
    with pytest.raises(FileNotFoundError):
        static("nope.css")
    with pytest.raises(FileNotFoundError):
        static("../render.py")


def test_templates_refuse_undefined_names_and_escape_by_default() -> None:
    with pytest.raises(UndefinedError):
        environment().from_string("{{ missing }}").render()
    assert environment().from_string("{{ x }}").render(x="<i>") == "&lt;i&gt;"


def test_url_with_replaces_query_parameters() -> None:
    assert url_with("/explore?q=a%20b&page=2", page=3) == "/explore?q=a+b&page=3"
    assert url_with("/explore", page=1) == "/explore?page=1"
    assert url_with("/explore?page=2&q=x", page=None) == "/explore?q=x"


def test_the_error_page_needs_only_a_status_and_has_a_sentence_for_any_status() -> None:
    app = FastAPI()

    @app.get("/teapot")
    def teapot(request: Request) -> Response:
        return render_error(request, {"status": 418}, 418)

    page = TestClient(app).get("/teapot")
    assert page.status_code == 418
    assert "The request failed." in page.text
    assert "Request ID" not in page.text
