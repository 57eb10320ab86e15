"""Driving the review pages through the test client: sign in, post a form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.main import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="([0-9]+)"')


def signed_in_client(settings, runtime, username: str, password: str) -> TestClient:  # noqa: ANN001
    client = TestClient(create_app(settings, runtime=runtime))
    client.__enter__()
    page = client.get("/review/login")
    token = CSRF.search(page.text).group(1)
    done = client.post("/review/login", data={"username": username, "password": password,
                                              "csrf_token": token, "next": "/review"},
                       follow_redirects=False)
    assert done.status_code == 303, done.text
    return client


def form_token(client: TestClient, path: str) -> tuple[str, str | None]:
    """The CSRF token and the version the page at ``path`` shows."""
    page = client.get(path)
    version = VERSION.search(page.text)
    return CSRF.search(page.text).group(1), version.group(1) if version else None


def act(client: TestClient, order_id: str, action: str, reason: str = "", *,
        version: str | None = None, token: str | None = None):  # noqa: ANN201
    page_token, page_version = form_token(client, f"/review/orders/{order_id}")
    return client.post(
        f"/review/orders/{order_id}/act",
        data={"action": action, "reason": reason,
              "version": version if version is not None else (page_version or ""),
              "csrf_token": token if token is not None else page_token},
        follow_redirects=False,
    )
