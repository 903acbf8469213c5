"""docs/import.md is the contract of the CSV formats; it must not drift from the code."""

import re
from pathlib import Path

from django.conf import settings

from crm.imports.formats import FORMATS


def test_the_import_guide_documents_every_format_and_every_column():
    guide = (Path(settings.BASE_DIR) / "docs" / "import.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", guide, flags=re.MULTILINE)[1:]
    documented = {section.split("`")[1]: section for section in sections}
    assert list(documented) == list(FORMATS)
    for key, fmt in FORMATS.items():
        for column in fmt.columns:
            required = "yes" if column.required else "no"
            assert re.search(
                rf"^\| `{column.name}` \| .* \| {required} \|", documented[key], re.M
            ), f"{key}.{column.name}"
