"""The code in docs/operators.md is the code of the example DAGs, marker for marker."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = re.compile(r"^[ \t]*# \[START (\w+)\]\n(.*?)^[ \t]*# \[END \1\]", re.S | re.M)


def sections(text: str) -> dict[str, str]:
    return {m.group(1): textwrap.dedent(m.group(2)).strip() for m in SECTION.finditer(text)}


def test_docs_snippets_match_the_example_dags():
    dags: dict[str, str] = {}
    for path in sorted((ROOT / "example_dags").glob("*.py")):
        dags.update(sections(path.read_text()))
    docs = sections((ROOT / "docs" / "operators.md").read_text())
    assert (
        set(docs)
        == set(dags)
        == {
            "howto_operator_focus_upsert",
            "howto_operator_focus_export",
            "howto_operator_focus_create",
            "howto_operator_focus_update",
            "howto_operator_focus_get",
            "howto_sensor_focus_area_status",
            "howto_sensor_focus_area_exists",
            "howto_operator_focus_incremental_export",
            "howto_trigger_focus_area_changes",
            "howto_read_focus_area_change",
            "howto_hook_focus_upsert_taskflow",
        }
    )
    for name, code in docs.items():
        assert code == dags[name], name
