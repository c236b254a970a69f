"""The OpenAPI document of API v1, assembled from what each blueprint declares.

A blueprint declares its part with :func:`declare`: a function of the rules that returns the OpenAPI
``paths`` it serves and the ``components`` it defines. The declarations are collected when the app factory
registers the blueprints, and :func:`assemble` merges them into one document, so no blueprint imports
another to describe itself. A part may refer to components another part defines (for example saved
summaries to ``CheckRequest``); the tests validate the assembled document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Flask
from flask.blueprints import BlueprintSetupState

from ..eligibility import Rules

Part = Callable[[Rules], Mapping[str, Any]]
EXTENSION = "openapi_parts"


def declare(bp: Blueprint, part: Part) -> None:
    """Add ``part`` to the document of every app ``bp`` is registered on."""

    def record(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(EXTENSION, []).append(part)

    bp.record_once(record)


def assemble(app: Flask, rules: Rules) -> dict[str, Any]:
    """The whole document: each declared part's paths and components, merged. A name declared twice is a bug."""
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    for part in app.extensions.get(EXTENSION, ()):
        declared = part(rules)
        for path, item in declared.get("paths", {}).items():
            if path in paths:
                raise ValueError(f"OpenAPI path {path} is declared twice")
            paths[path] = item
        for kind, items in declared.get("components", {}).items():
            into = components.setdefault(kind, {})
            for name, item in items.items():
                if name in into:
                    raise ValueError(f"OpenAPI component {kind}/{name} is declared twice")
                into[name] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Myeloma Access Assistant API",
            "version": "1",
            "description": "Matches a treatment history against every approved label of CAR-T and related "
            "therapies in a region. Information about approved uses, not medical advice. "
            f"Rules version {rules.version}.",
        },
        "paths": paths,
        "components": components,
    }
