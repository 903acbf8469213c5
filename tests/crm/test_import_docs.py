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


def test_every_number_column_states_its_range_in_the_guide():
    """A reader must not guess whether -20.05 is allowed in a column: each says so."""
    guide = (Path(settings.BASE_DIR) / "docs" / "import.md").read_text(encoding="utf-8")
    for key, fmt in FORMATS.items():
        for column in fmt.columns:
            if column.kind in ("decimal", "integer"):
                assert re.search(r"0 or more|any sign|\d–\d", column.help), f"{key}.{column.name}"
                assert column.help in guide, f"{key}.{column.name}"
