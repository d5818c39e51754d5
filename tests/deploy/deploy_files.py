"""Readers for the deployment files, shared by the ``deploy`` tests.

Small, strict parsers instead of external tools, so that the tests run on a machine with only
Python: a Dockerfile reader, a ``.dockerignore`` matcher, Compose variable interpolation and a
kustomize renderer for the subset of kustomize the repository uses. The renderer refuses any
kustomization field it does not implement, so it can never silently render something different
from ``kustomize build`` (a test compares the two when kubectl or kustomize is installed).
"""

from __future__ import annotations

import base64
import copy
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------- Dockerfiles


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined, comment lines dropped."""

    keyword: str
    value: str
    line: int

    def json_args(self) -> list[str] | None:
        """Return the exec-form (JSON array) arguments, or None for the shell form."""
        text = self.value
        if self.keyword == "HEALTHCHECK":
            match = re.search(r"\bCMD\s+(.*)$", text, flags=re.DOTALL)
            if match is None:
                return None
            text = match.group(1)
        text = text.strip()
        if not text.startswith("["):
            return None
        parsed = json.loads(text)
        assert isinstance(parsed, list) and all(isinstance(a, str) for a in parsed)
        return parsed


@dataclass
class Stage:
    """One build stage: its base image (ARGs resolved), its name and its instructions."""

    image: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        """Return the stage's instructions with `keyword`."""
        return [i for i in self.instructions if i.keyword == keyword]

    def env(self) -> dict[str, str]:
        """Return the variables the stage's ENV instructions set (``KEY=value`` form)."""
        result: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for token in shlex.split(instruction.value):
                key, sep, value = token.partition("=")
                assert sep, f"line {instruction.line}: use ENV KEY=value, not the legacy form"
                result[key] = value
        return result


def read_dockerfile(path: Path) -> list[Instruction]:
    """Return the instructions of a Dockerfile."""
    instructions: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue  # comments (also inside continuations) and blank lines
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        text = " ".join(part for part in buffer if part)
        buffer = []
        keyword, _, value = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), value.strip(), start))
    assert not buffer, f"{path}: the last instruction ends with a line continuation"
    return instructions


def dockerfile_stages(path: Path) -> list[Stage]:
    """Return the build stages of a Dockerfile, with global ARG defaults substituted."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for instruction in read_dockerfile(path):
        if instruction.keyword == "ARG" and not stages:
            name, _, default = instruction.value.partition("=")
            args[name.strip()] = default.strip().strip('"')
        elif instruction.keyword == "FROM":
            words = [w for w in instruction.value.split() if not w.startswith("--platform")]
            image = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append(Stage(image=image, name=name))
        else:
            assert stages or instruction.keyword in {"ARG"}, f"{path}: {instruction} before FROM"
            if stages:
                stages[-1].instructions.append(instruction)
    return stages


def dockerignore_excludes(patterns: list[str], path: str) -> bool:
    """Whether the build context leaves out `path` (a path relative to the context root).

    Implements the documented rules: patterns are relative to the root, ``*`` and ``?`` do not
    cross ``/``, ``**`` matches any number of directories, a pattern that matches a directory
    excludes everything below it, ``!`` re-includes, and the last matching pattern wins.
    """
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for raw in patterns:
        negate = raw.startswith("!")
        pattern = raw[1:] if negate else raw
        pattern = pattern.strip().strip("/")
        if pattern.startswith("./"):
            pattern = pattern[2:]
        regex = _glob_regex(pattern)
        if any(regex.fullmatch(candidate) for candidate in candidates):
            excluded = not negate
    return excluded


def _glob_regex(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append(pattern[i : end + 1])
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def read_dockerignore(path: Path) -> list[str]:
    """Return the patterns of a ``.dockerignore`` file."""
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


# --------------------------------------------------------------------------- Compose

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_]\w*))")


class MissingVariableError(KeyError):
    """A Compose variable without a default that the environment does not set."""


def interpolate(value: Any, environ: dict[str, str]) -> Any:
    """Substitute ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}`` and ``$$`` like Compose.

    A variable that is unset and has no default raises :class:`MissingVariableError`, so a test
    with an empty environment proves that the file works without a ``.env`` file.
    """
    if isinstance(value, dict):
        return {k: interpolate(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, environ) for v in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        expression = match.group("braced") or match.group("named")
        name_match = re.match(r"[A-Za-z_]\w*", expression)
        assert name_match, f"bad variable expression ${{{expression}}}"
        name, rest = name_match.group(0), expression[name_match.end() :]
        if rest.startswith(":-"):
            return environ.get(name) or interpolate(rest[2:], environ)
        if rest.startswith("-"):
            return environ[name] if name in environ else interpolate(rest[1:], environ)
        if rest.startswith((":?", "?")) or not rest:
            if name in environ and (environ[name] or not rest.startswith(":")):
                return environ[name]
            raise MissingVariableError(name)
        raise AssertionError(f"unsupported variable expression ${{{expression}}}")

    return _VARIABLE.sub(substitute, value)


def duration_seconds(value: str | int | float) -> float:
    """Return the seconds of a Compose duration such as ``660s``, ``11m``, ``1h2m3.5s``."""
    if isinstance(value, int | float):
        return float(value)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    assert parts and "".join(n + u for n, u in parts) == value, f"bad duration {value!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


# --------------------------------------------------------------------------- kustomize

#: The kustomization fields the renderer implements; any other field fails the render.
SUPPORTED_KUSTOMIZATION_FIELDS = frozenset(
    {"apiVersion", "kind", "resources", "patches", "secretGenerator"}
)


def render_kustomization(directory: Path) -> list[dict[str, Any]]:
    """Render a kustomization directory the way ``kustomize build`` would.

    Supports ``resources`` (manifest files and other kustomization directories),
    ``secretGenerator`` entries made of ``literals`` with a fixed name
    (``disableNameSuffixHash``) and ``patches`` given as inline JSON 6902 operations with a
    ``target``; anything else raises.
    """
    path = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(path.read_text())
    assert kustomization.get("kind", "Kustomization") == "Kustomization", path
    unsupported = set(kustomization) - SUPPORTED_KUSTOMIZATION_FIELDS
    if unsupported:
        raise NotImplementedError(f"{path}: fields {sorted(unsupported)} are not rendered here")
    resources: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        if target.is_dir():
            resources.extend(render_kustomization(target))
        else:
            docs = [d for d in yaml.safe_load_all(target.read_text()) if d is not None]
            assert docs, f"{target}: no manifest"
            resources.extend(docs)
    for generator in kustomization.get("secretGenerator", []):
        resources.append(_generate_secret(generator, path))
    seen: set[tuple[str, str, str]] = set()
    for resource in resources:
        key = resource_id(resource)
        assert key not in seen, f"{path}: resource {key} appears twice"
        seen.add(key)
    for patch in kustomization.get("patches", []):
        _apply_patch(resources, patch, path)
    return resources


def _generate_secret(generator: dict[str, Any], where: Path) -> dict[str, Any]:
    """The Secret a ``secretGenerator`` entry makes (literals only, no name hash)."""
    unknown = set(generator) - {"name", "literals", "options"}
    options = generator.get("options", {})
    unknown |= {f"options.{key}" for key in set(options) - {"disableNameSuffixHash", "labels"}}
    if unknown:
        raise NotImplementedError(f"{where}: secretGenerator fields {sorted(unknown)}")
    if options.get("disableNameSuffixHash") is not True:
        raise NotImplementedError(f"{where}: hashed generator names are not rendered here")
    data = {}
    for literal in generator.get("literals", []):
        key, sep, value = literal.partition("=")
        assert sep, f"{where}: literal {literal!r} is not key=value"
        data[key] = base64.b64encode(value.encode()).decode()
    metadata: dict[str, Any] = {"name": generator["name"]}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "data": data,
        "type": "Opaque",
    }


def resource_id(resource: dict[str, Any]) -> tuple[str, str, str]:
    """Return (apiVersion, kind, name) of a manifest."""
    return (resource["apiVersion"], resource["kind"], resource["metadata"]["name"])


def _apply_patch(resources: list[dict[str, Any]], patch: dict[str, Any], where: Path) -> None:
    if set(patch) != {"target", "patch"}:
        raise NotImplementedError(f"{where}: only inline patches with a target are rendered")
    target = patch["target"]
    operations = yaml.safe_load(patch["patch"])
    if not isinstance(operations, list):
        raise NotImplementedError(f"{where}: strategic merge patches are not rendered here")
    matched = [r for r in resources if _selected(r, target)]
    assert matched, f"{where}: patch target {target} matches no resource"
    for resource in matched:
        index = resources.index(resource)
        patched = copy.deepcopy(resource)
        for operation in operations:
            _json_patch(patched, operation)
        resources[index] = patched


def _selected(resource: dict[str, Any], target: dict[str, str]) -> bool:
    group, _, version = resource["apiVersion"].rpartition("/")
    unknown = set(target) - {"group", "version", "kind", "name"}
    if unknown:
        raise NotImplementedError(f"patch target fields {sorted(unknown)} are not rendered here")
    actual = {
        "group": group,
        "version": version,
        "kind": resource["kind"],
        "name": resource["metadata"]["name"],
    }
    return all(actual[key] == value for key, value in target.items())


def _json_patch(document: dict[str, Any], operation: dict[str, Any]) -> None:
    op, pointer = operation["op"], operation["path"]
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    parent: Any = document
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    last = tokens[-1]
    if op == "remove":
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]
    elif op in {"add", "replace"}:
        if isinstance(parent, list):
            if op == "add":
                parent.insert(len(parent) if last == "-" else int(last), operation["value"])
            else:
                parent[int(last)] = operation["value"]
        else:
            assert op == "add" or last in parent, f"replace of missing {pointer}"
            parent[last] = operation["value"]
    else:
        raise NotImplementedError(f"JSON patch operation {op!r} is not rendered here")


def by_kind(resources: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Return the resources of `kind`, by name."""
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}
