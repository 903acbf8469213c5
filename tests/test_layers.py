"""The apps' layers run one way: accounts ← crm ← surveys ← metrics, with the demo above them
all. A module that imports a higher layer (the book knowing about surveys) fails here, naming
the file and the import."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each app and the apps it may import (its own layer and those below).
LAYERS = {
    "accounts": {"accounts"},
    "crm": {"accounts", "crm"},
    "surveys": {"accounts", "crm", "surveys"},
    "metrics": {"accounts", "crm", "surveys", "metrics"},
    "demo": {"accounts", "crm", "surveys", "metrics", "demo"},
}


def _imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) of every import of one of our apps in ``path``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names}
    return {(app, line) for app, line in found if app in LAYERS}


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_its_own_layer_and_those_below(app):
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for imported, line in sorted(_imported_apps(path))
        if imported not in LAYERS[app]
    ]
    assert wrong == []


def test_the_timeline_shows_survey_answers_without_the_book_knowing_surveys():
    from crm.selectors import TIMELINE_SOURCES
    from surveys.timeline import answer_events

    assert answer_events in TIMELINE_SOURCES
