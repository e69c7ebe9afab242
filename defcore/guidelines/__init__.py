"""Guidelines: the model of every interop guideline generation and what defcore does with it."""

from defcore.guidelines.loader import load_file, parse
from defcore.guidelines.model import (
    AddOn,
    Capability,
    Component,
    Guideline,
    Platform,
    SelectedTest,
    Status,
    Target,
    Test,
)

__all__ = [
    "AddOn",
    "Capability",
    "Component",
    "Guideline",
    "Platform",
    "SelectedTest",
    "Status",
    "Target",
    "Test",
    "load_file",
    "parse",
]
