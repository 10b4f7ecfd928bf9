"""The images docker-compose.yml runs: the public ones it names, then the six built from docker/Dockerfile.

A public image (python, postgres, rabbitmq, nginx) that is not on this machine is pulled. Where it
cannot be pulled (no route to its registry), a stand-in is built from Debian packages
(`docker/standins/<name>/`, each saying what it reproduces and how it differs) and tagged with
the official name, so that the Dockerfile and the compose file run unchanged.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from stack.engine import Engine
from stack.gateway import ensure_command
from stack.services import REPO_ROOT

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
STANDINS = REPO_ROOT / "docker" / "standins"
# A stand-in starts FROM a minimal Debian root of the suite its tag names (bookworm for the images
# that are bookworm's; trixie where only trixie packages the version the official image has).
STANDIN_BASE = re.compile(r"^localhost/shop-standin/debian:([a-z]+)$")
STANDIN_LABEL = "shop.standin.source"
# Left out of the stand-ins' Debian root: documentation and translations nothing in them reads.
STANDIN_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*")


def compose_file() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def built_images(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The images compose builds, by name, with their `build` section."""
    return {service["image"]: service["build"] for service in compose["services"].values() if "build" in service}


def _from_images(dockerfile: Path) -> list[str]:
    """The images a Dockerfile's FROM lines name, with ARG defaults substituted; its own stages left out."""
    arguments: dict[str, str] = {}
    stages: set[str] = set()
    images: list[str] = []
    for line in dockerfile.read_text().splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "ARG" and "=" in words[1]:
            name, _, value = words[1].partition("=")
            arguments.setdefault(name, value)
        elif len(words) >= 2 and words[0].upper() == "FROM":
            rest = [word for word in words[1:] if not word.startswith("--")]  # --platform=...
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda match: arguments.get(match[1] or match[2], ""), rest[0])
            if image not in stages and image not in images:
                images.append(image)
            if len(rest) >= 3 and rest[1].upper() == "AS":
                stages.add(rest[2])
    return images


def public_images(compose: dict[str, Any]) -> list[str]:
    """The images the stack needs and does not build: compose's own and the FROM lines of what it builds."""
    built = built_images(compose)
    images = [
        service["image"]
        for service in compose["services"].values()
        if "image" in service and service["image"] not in built
    ]
    for build in built.values():
        for image in _from_images(REPO_ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")):
            if image not in images:
                images.append(image)
    return images


def _standin_source(name: str) -> str:
    """A digest of a stand-in's folder: an image built from other files is built again."""
    digest = hashlib.sha256()
    for path in sorted((STANDINS / name).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STANDINS).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def debian_sources(suite: str) -> list[str]:
    """One-line apt sources for `suite` (main, updates, security) on the Debian mirrors this host's apt uses."""
    policy = subprocess.run(["apt-cache", "policy"], capture_output=True, text=True, check=True).stdout
    archive = security = None
    lines = policy.splitlines()
    for index, line in enumerate(lines[:-1]):
        release = lines[index + 1].strip()
        words = line.split()
        if len(words) < 3 or not release.startswith("release ") or "o=Debian," not in release:
            continue
        uri = words[1]
        if "l=Debian-Security" in release:
            security = security or uri
        elif "l=Debian," in release:
            archive = archive or uri
    if archive is None:
        raise SystemExit(
            "the public images cannot be pulled and no Debian mirror is configured in apt to build stand-ins from"
        )
    sources = [f"deb {archive} {suite} main", f"deb {archive} {suite}-updates main"]
    if security:
        sources.append(f"deb {security} {suite}-security main")
    return sources


def _standin_base(name: str) -> str:
    """The Debian root a stand-in's Containerfile starts FROM."""
    for line in (STANDINS / name / "Containerfile").read_text().splitlines():
        if line.upper().startswith("FROM "):
            return line.split()[1]
    raise SystemExit(f"{STANDINS / name / 'Containerfile'} has no FROM line")


def _build_standin_base(engine: Engine, base: str) -> None:
    """A minimal Debian root of the base's suite, made with mmdebstrap from the host's mirrors, imported as `base`."""
    suite = STANDIN_BASE.match(base)
    if suite is None:
        raise SystemExit(f"a stand-in must start FROM localhost/shop-standin/debian:<suite>, not {base}")
    mmdebstrap = ensure_command("mmdebstrap", package="mmdebstrap")
    with tempfile.TemporaryDirectory(prefix="shop-standin-") as scratch:
        archive = Path(scratch) / "root.tar"
        subprocess.run(
            [mmdebstrap, "--variant=minbase", "--include=ca-certificates", "--quiet",
             *(f"--dpkgopt=path-exclude={pattern}" for pattern in STANDIN_EXCLUDES),
             "--customize-hook=rm -rf $1/var/lib/apt/lists/* $1/var/cache/apt/*",
             suite.group(1), str(archive), *debian_sources(suite.group(1))],
            check=True, stdin=subprocess.DEVNULL, timeout=900,
        )  # fmt: skip
        engine.run("import", str(archive), base, timeout=300)


def _pull(engine: Engine, reference: str) -> bool:
    try:
        return engine.run("pull", reference, check=False, timeout=600).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def ensure_public_images(engine: Engine, compose: dict[str, Any] | None = None) -> dict[str, str]:
    """Make every public image the stack needs present locally; return how each was had."""
    how: dict[str, str] = {}
    for reference in public_images(compose or compose_file()):
        local = engine.hub_name(reference)
        name = reference.split("/")[-1].split(":")[0]
        source = _standin_source(name) if (STANDINS / name).is_dir() else None
        present = engine.image_exists(local)
        built_from = engine.image_label(local, STANDIN_LABEL) if present else None
        if present and (built_from is None or built_from == source):
            how[reference] = "stand-in, already built" if built_from else "present"
        elif not present and _pull(engine, reference):
            how[reference] = "pulled"
        elif source is None:
            raise SystemExit(f"{reference} cannot be pulled and there is no stand-in for it in {STANDINS}")
        else:
            base = _standin_base(name)
            if not engine.image_exists(base):
                _build_standin_base(engine, base)
            engine.run(
                "build", "--quiet", *engine.build_options(), "--label", f"{STANDIN_LABEL}={source}",
                "-t", local, str(STANDINS / name), timeout=900, capture=False,
            )  # fmt: skip
            how[reference] = "stand-in, built"
    return how


def build_ca_bundle() -> Path | None:
    """The CA bundle pip must trust in the build: BUILD_CA_BUNDLE, else the one this host's pip is told to use."""
    named = os.environ.get("BUILD_CA_BUNDLE") or os.environ.get("PIP_CERT")
    if not named:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.cert"], capture_output=True, text=True
        )
        named = result.stdout.strip() if result.returncode == 0 else ""
    if not named:
        return None
    path = Path(named).expanduser()
    if not path.is_file():
        raise SystemExit(f"the build CA bundle {path} is not a file")
    return path


def build_service_images(engine: Engine, compose: dict[str, Any] | None = None) -> dict[str, float]:
    """Build every image compose builds, with compose's own build arguments; return seconds per image."""
    ca_bundle = build_ca_bundle()
    if ca_bundle:
        print(f"images: pip in the build trusts the CAs in {ca_bundle} (a build secret, not stored)", flush=True)
    seconds: dict[str, float] = {}
    for image, build in built_images(compose or compose_file()).items():
        context = REPO_ROOT / build.get("context", ".")
        arguments = [f"--build-arg={name}={value}" for name, value in (build.get("args") or {}).items()]
        secret = [f"--secret=id=ca_bundle,src={ca_bundle}"] if ca_bundle else []
        started = time.monotonic()
        engine.run(
            "build", "--quiet", *engine.build_options(), "-f", str(context / build.get("dockerfile", "Dockerfile")),
            *arguments, *secret, "-t", image, str(context), timeout=1800, capture=False,
        )  # fmt: skip
        seconds[image] = time.monotonic() - started
        print(f"images: built {image} in {seconds[image]:.0f} s", flush=True)
    return seconds
