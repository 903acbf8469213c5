"""The KPI contract shipped with the product (``docs/kpis.md``), as the page every scorecard's
"how is this computed" links to.

The Markdown file is the one source: the repository shows it as it is, and the app renders it
with Python-Markdown (tables, ``{#anchor}`` headings) rather than keeping a second copy in a
template. Each KPI has a heading whose anchor is its key, so a link can point at one formula.
"""

from __future__ import annotations

from functools import cache

import markdown
from django.conf import settings
from django.urls import reverse

CONTRACT_FILE = settings.BASE_DIR / "docs" / "kpis.md"


@cache
def contract_html() -> str:
    """``docs/kpis.md`` as HTML (read and converted once per process).

    Raises ``FileNotFoundError`` if the file is missing from the deployment.
    """
    text = CONTRACT_FILE.read_text(encoding="utf-8")
    return markdown.markdown(text, extensions=["attr_list", "tables", "toc"])


def contract_url(kpi_key: str = "") -> str:
    """The contract page, at the formula of ``kpi_key`` if given."""
    url = reverse("kpi_contract")
    return f"{url}#{kpi_key}" if kpi_key else url
