"""
Every Python block on a docs page (and in the README) is code that a test runs, character for character.

A block is either made of ``# [START name]`` ... ``# [END name]`` sections, each equal to the section of the same
name in an example DAG (``example_dags/``, run by the integration tests and the documented user test file) or in a
snippet test (``tests/docs/snippets/``); or it follows ``<!-- file: path -->`` and equals that whole file.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [*sorted((ROOT / "docs").glob("**/*.md")), ROOT / "README.md"]
SOURCES = sorted((ROOT / "example_dags").glob("*.py")) + sorted((ROOT / "tests" / "docs" / "snippets").glob("*.py"))
SECTION = re.compile(r"^[ \t]*# \[START (\w+)\]\n(.*?)^[ \t]*# \[END \1\]", re.S | re.M)
PYTHON_BLOCK = re.compile(
    r"(?:<!-- file: (?P<file>[^ ]+) -->\n)?^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", re.S | re.M
)


def sections(text: str) -> dict[str, str]:
    return {m.group(1): textwrap.dedent(m.group(2)).strip() for m in SECTION.finditer(text)}


def source_sections() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in SOURCES:
        for name, code in sections(path.read_text()).items():
            assert name not in found, f"section {name} is defined twice"
            found[name] = code
    return found


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_block_is_tested_code(page):
    known = source_sections()
    for block in PYTHON_BLOCK.finditer(page.read_text()):
        code = textwrap.dedent(block.group("code"))
        if block.group("file"):
            assert code == (ROOT / block.group("file")).read_text(), f"{page_id(page)}: {block.group('file')} differs"
            continue
        shown = sections(code)
        assert shown, f"{page_id(page)}: a python block that is no tested code:\n{code[:300]}"
        assert SECTION.sub("", code).strip() == "", f"{page_id(page)}: code outside START/END markers:\n{code}"
        for name, snippet in shown.items():
            assert name in known, f"{page_id(page)}: section {name} is in no example DAG or snippet test"
            assert snippet == known[name], f"{page_id(page)}: section {name} differs from its source"


def test_every_example_dag_section_is_shown_on_a_page():
    shown: set[str] = set()
    for page in PAGES:
        shown |= set(sections(page.read_text()))
    dag_sections: set[str] = set()
    for path in (ROOT / "example_dags").glob("*.py"):
        dag_sections |= set(sections(path.read_text()))
    assert dag_sections - shown == set()
    assert {
        "howto_operator_focus_upsert",
        "howto_operator_focus_export",
        "howto_operator_focus_create",
        "howto_operator_focus_update",
        "howto_operator_focus_get",
        "howto_sensor_focus_area_status",
        "howto_hook_focus_upsert_taskflow",
        "quickstart_dag",
    } <= dag_sections
