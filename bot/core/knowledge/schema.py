"""The JSON Schema of one knowledge YAML file, generated from the sections' field specs.

Editors (VS Code's YAML extension, JetBrains IDEs, …) use it for completion, descriptions on hover and
checks while staff type. It is built at call time from ``SECTIONS`` so that sections registered later by
other features (``consultations``) are part of it.
"""
from __future__ import annotations

import copy
from typing import Any

from bot.core.knowledge.sections import SECTIONS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def knowledge_json_schema() -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for one file of the knowledge directory, with every registered section."""
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Knowledge file",
        "description": "One YAML file of the resident-service knowledge directory. Check the whole directory "
                       "with `python -m bot kb validate`: ids, categories and `related` are checked across files.",
        "type": "object",
        # Copies: a caller editing its schema must not change the registry's.
        "properties": {key: copy.deepcopy(section.schema) for key, section in SECTIONS.items()},
        "additionalProperties": False,
    }
