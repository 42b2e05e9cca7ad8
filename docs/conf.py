"""Sphinx configuration of the airflow-provider-focus documentation (MyST Markdown pages, autodoc reference)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# autodoc imports the provider, and so Airflow: give it a throw-away home so a build writes nothing to ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="focus-docs-airflow-home-"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

from airflow_provider_focus import __version__  # noqa: E402

project = "airflow-provider-focus"
author = "airflow-provider-focus developers"
copyright = "airflow-provider-focus developers"
release = version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "examples", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "class"

html_theme = "furo"
html_title = f"airflow-provider-focus {release}"
html_static_path: list[str] = []

# A reference to the provider's own code that does not resolve is an error (with -W); references to other
# libraries (Airflow, requests, httpx, the standard library) are not checked, since the build is offline.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!airflow_provider_focus\.).*"),
    (r"py:class", r".*\._.*"),  # private modules and classes (show-inheritance names them; not documented)
]
