"""Reading e-mails and pages the way a recipient's mail client and browser would."""

import re
from urllib.parse import urlsplit


def links_in(mail) -> list[str]:
    """Every link in an e-mail's plain text and HTML, as site-relative paths with query."""
    bodies = [mail.body] + [content for content, _ in getattr(mail, "alternatives", [])]
    urls = set()
    for body in bodies:
        urls.update(re.findall(r"https?://[^\s\"<>]+", body))
    return sorted(_relative(url) for url in urls)


def score_link(mail, score: int) -> str:
    url = re.search(rf"https?://\S+\?score={score}\b", mail.body).group(0)
    return _relative(url)


def _relative(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def csrf_from(page) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
