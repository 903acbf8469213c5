"""A minimal cookie-keeping HTTP client for a server in another process: GETs, and POSTs the
way a browser submits a form (with the CSRF token from the page's cookie)."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.cookiejar import CookieJar


@dataclass
class Page:
    status: int
    url: str
    text: str


class HttpSession:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, error.read().decode())

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path: str, data: dict[str, object]) -> Page:
        token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={"Referer": self.base_url + path, "X-CSRFToken": token},
        )
        return self._open(request)

    def log_in(self, email: str, password: str) -> Page:
        self.get("/accounts/login/")
        return self.post("/accounts/login/", {"username": email, "password": password})


def link_token(text: str) -> str:
    return re.search(r"/s/([A-Za-z0-9_\-]+)/", text).group(1)
