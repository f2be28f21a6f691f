"""The core layer holds the Lambda platform's wheels (aarch64 or pure Python, the runtime's CPython
version) and parley's own package."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from infra.parley_cdk import settings
from tests.infra.conftest import REPO_ROOT, Synth

PYTHON_TAG = "cp" + settings.python_version().replace(".", "")


@pytest.fixture(scope="module")
def layer_dir(synth: Synth, template_json: dict[str, Any]) -> Path:
    (layer,) = [
        r
        for r in template_json["Resources"].values()
        if r["Type"] == "AWS::Lambda::LayerVersion" and "/CoreLayer/" in r["Metadata"]["aws:cdk:path"]
    ]
    return synth.outdir / layer["Metadata"]["aws:asset:path"] / "python"


def wheel_tags(layer_dir: Path) -> dict[str, list[str]]:
    tags = {}
    for wheel in layer_dir.glob("*.dist-info/WHEEL"):
        lines = wheel.read_text(encoding="utf-8").splitlines()
        tags[wheel.parent.name] = [line.split(":", 1)[1].strip() for line in lines if line.startswith("Tag:")]
    return tags


def test_layer_wheels_are_for_the_runtime_python_on_aarch64_or_pure(layer_dir: Path) -> None:
    tags = wheel_tags(layer_dir)

    assert tags, "no wheels in the layer"
    binary = []
    for dist, dist_tags in tags.items():
        assert dist_tags, dist
        for tag in dist_tags:
            python, abi, platform = tag.split("-")
            if platform == "any":
                assert abi == "none" and re.fullmatch(r"py\d+|" + PYTHON_TAG, python), (dist, tag)
            else:
                binary.append(dist)
                assert python == PYTHON_TAG and abi in (PYTHON_TAG, "abi3"), (dist, tag)
                assert re.fullmatch(r"manylinux\w*_aarch64", platform), (dist, tag)
    assert any(dist.startswith("pydantic_core") for dist in binary)


def test_layer_holds_every_declared_dependency(layer_dir: Path) -> None:
    from infra.parley_cdk.layer import layer_requirements

    installed = {path.name.split("-")[0].lower() for path in layer_dir.glob("*.dist-info")}

    for requirement in layer_requirements():
        name = re.split(r"[=<>~!\[; ]", requirement, maxsplit=1)[0]
        assert name.lower().replace("-", "_") in installed, requirement


def test_layer_ships_the_parley_package_without_bytecode(layer_dir: Path) -> None:
    source = REPO_ROOT / "layers" / "core" / "python" / "parley"

    assert (layer_dir / "parley" / "shared" / "names.py").read_bytes() == (source / "shared" / "names.py").read_bytes()
    assert not list(layer_dir.rglob("*.pyc"))
    assert not (layer_dir / "bin").exists()
