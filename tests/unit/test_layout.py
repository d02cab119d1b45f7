"""The maps a newcomer reads are true to the tree: package docstrings, the table's keys, docs/architecture.md's layout."""

import ast
import re
from pathlib import Path

import pytest

import dmchannel.storage
from dmchannel.storage.table import Prefix
from tests.conftest import ROOT

PACKAGE = ROOT / "layers" / "shared" / "dmchannel"
PACKAGES = sorted(path.parent for path in PACKAGE.rglob("__init__.py"))


def docstring(init: Path) -> str:
    return ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""


@pytest.mark.parametrize("package", PACKAGES, ids=[str(p.relative_to(PACKAGE.parent)) for p in PACKAGES])
def test_every_package_maps_each_of_its_modules(package: Path) -> None:
    text = docstring(package / "__init__.py")
    modules = {path.stem for path in package.glob("*.py") if path.stem != "__init__"}
    modules |= {path.name for path in package.iterdir() if (path / "__init__.py").exists()}
    assert {module for module in modules if f"``{module}" not in text} == set()


def test_the_storage_docstring_lists_every_key_prefix_and_no_other() -> None:
    listed = set(re.findall(r"^- ``(\w+)#", dmchannel.storage.__doc__ or "", flags=re.MULTILINE))
    assert listed == {prefix.value for prefix in Prefix}


ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def test_the_architecture_page_names_every_key_prefix() -> None:
    keys = ARCHITECTURE.split("## The table's keys", 1)[1].split("\n## ", 1)[0]
    assert {prefix.value for prefix in Prefix} <= set(re.findall(r"^\| `(\w+)#", keys, flags=re.MULTILINE))


def test_the_code_layout_names_every_package_and_module_and_nothing_gone() -> None:
    layout = ARCHITECTURE.split("## Code layout", 1)[1].split("```", 2)[1]
    named = set(re.findall(r"^\s*([\w./-]+(?:/|\.py))\s", layout, flags=re.MULTILINE))
    shared = {f"{p.name}/" for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    shared |= {p.name for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert shared - named == set()
    for entry in named:
        candidates = [ROOT / entry, PACKAGE / entry, ROOT / "functions" / entry]
        assert any(path.exists() for path in candidates), f"the code layout names {entry}, which is gone"
