"""The core layer: `layers/core/python/parley` plus its runtime dependencies, built without Docker.

pip downloads the Lambda platform's wheels (manylinux, the runtime's CPython version and ABI, binary
wheels only) into `python/`, the folder Lambda puts on `sys.path` for a layer. The version, ABI and
platform come from settings.RUNTIME and settings.ARCHITECTURE, the same constants the functions use.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling, aws_lambda
from constructs import Construct

from infra.parley_cdk import settings

PACKAGE_DIR = settings.LAYER_SOURCE_DIR / "python" / "parley"


def layer_requirements() -> list[str]:
    """The runtime dependencies pyproject.toml declares (the single list for local use and the layer)."""
    project = tomllib.loads(settings.PYPROJECT.read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


def pip_command(target: Path, requirements: list[str]) -> list[str]:
    version = settings.python_version()
    abi = "cp" + version.replace(".", "")
    platforms = [arg for platform in settings.pip_platforms() for arg in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "install",
        "-qq", "--disable-pip-version-check", "--no-compile",
        *platforms,
        "--python-version", version,
        "--implementation", "cp",
        "--abi", abi,
        "--only-binary=:all:",
        "--target", str(target),
        *requirements,
    ]  # fmt: skip


def _source_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE_DIR.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


def content_hash() -> str:
    """Changes when the package, the dependency list or the target platform changes (and only then)."""
    digest = hashlib.sha256()
    for part in (settings.RUNTIME.name, *settings.pip_platforms(), *layer_requirements()):
        digest.update(part.encode() + b"\0")
    for path in _source_files():
        digest.update(str(path.relative_to(PACKAGE_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_layer(output_dir: Path) -> None:
    """Fill output_dir with `python/<dependencies>` and `python/parley`."""
    target = output_dir / "python"
    requirements = layer_requirements()
    print(
        f"parley layer: pip install {len(requirements)} requirements for "
        f"{settings.RUNTIME.name} {'/'.join(settings.pip_platforms())}",
        file=sys.stderr,
        flush=True,
    )
    subprocess.run(pip_command(target, requirements), check=True)
    # Console scripts point at this machine's interpreter: useless in Lambda.
    shutil.rmtree(target / "bin", ignore_errors=True)
    shutil.copytree(PACKAGE_DIR, target / "parley", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@jsii.implements(ILocalBundling)
class PipLayerBundling:
    """CDK local bundling: runs before any Docker fallback and always succeeds or raises."""

    def try_bundle(self, output_dir: str, *_options: Any, **_kw: Any) -> bool:
        build_layer(Path(output_dir))
        return True


class CoreLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        code = aws_lambda.Code.from_asset(
            str(settings.LAYER_SOURCE_DIR),
            # Bundling is skipped when cdk.out already holds an asset with this hash.
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=content_hash(),
            bundling=BundlingOptions(
                # Only named because CDK requires an image; local bundling never falls back to it.
                image=settings.RUNTIME.bundling_image,
                local=PipLayerBundling(),
            ),
        )
        self.layer = aws_lambda.LayerVersion(
            self,
            "Layer",
            code=code,
            compatible_runtimes=[settings.RUNTIME],
            compatible_architectures=[settings.ARCHITECTURE],
            description="parley's domain package and its dependencies",
        )
