"""The deployment files agree with the code they deploy.

No Docker engine runs where these tests run, so docker-compose.yml and the Dockerfile are
checked statically: every command in them must name something that exists in the project,
and .env.example, the settings and the compose file must not drift apart. The production
settings themselves are exercised in subprocesses with a production-like environment.
"""

import ast
import importlib
import json
import os
import re
import secrets
import shlex
import socket
import string
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlparse

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_DIR = ROOT / "meldcode" / "settings"
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
ENV_EXAMPLE = (ROOT / ".env.example").read_text()

APP_SERVICES = ("migrate", "web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
PRODUCTION_HOST = "meldcode.example.nl"

# WhiteNoise warns when the test run's STATIC_ROOT was never collected; irrelevant here.

# Variables in .env.example that the settings do not read, and who reads them instead.
COMPOSE_ONLY_VARIABLES = {"POSTGRES_PASSWORD"}  # interpolated into docker-compose.yml
PROCESS_VARIABLES = {"DJANGO_SETTINGS_MODULE"}  # read by manage.py, wsgi.py, celery.py


# --- helpers ------------------------------------------------------------------------------

def command(service: str) -> list[str]:
    cmd = SERVICES[service].get("command")
    assert cmd, f"service {service} has no command"
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def option(cmd: list[str], *names: str) -> str:
    """The value of ``--name value`` or ``--name=value`` in a command line."""
    for i, part in enumerate(cmd):
        for name in names:
            if part == name:
                return cmd[i + 1]
            if part.startswith(name + "="):
                return part.split("=", 1)[1]
    raise AssertionError(f"none of {names} in {cmd}")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def env_example_lines() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value pairs, names that are documented only as ``# NAME=value``)."""
    active, optional = {}, set()
    for line in ENV_EXAMPLE.splitlines():
        if m := re.match(r"^([A-Z_][A-Z0-9_]*)=(.*)$", line):
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            active[m.group(1)] = value
        elif m := re.match(r"^#\s?([A-Z_][A-Z0-9_]*)=", line):
            optional.add(m.group(1))
    return active, optional


def documented_variables() -> set[str]:
    active, optional = env_example_lines()
    return set(active) | optional


def settings_source() -> str:
    return "\n".join(p.read_text() for p in sorted(SETTINGS_DIR.glob("*.py")))


def base_settings_env_reads() -> set[str]:
    """Every variable name base.py reads through env(...), env.<type>(...) or env_secret(...).

    Found with the AST rather than a regex, so a new read in any form is seen. A name that is
    not a string literal is only allowed inside env_secret itself (its ``f"{name}_FILE"``).
    """
    tree = ast.parse((SETTINGS_DIR / "base.py").read_text())
    names: set[str] = set()

    class Visitor(ast.NodeVisitor):
        function = None

        def visit_FunctionDef(self, node):
            outer, self.function = self.function, node.name
            self.generic_visit(node)
            self.function = outer

        def visit_Call(self, node):
            func = node.func
            is_secret = isinstance(func, ast.Name) and func.id == "env_secret"
            is_env = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                and func.value.id == "env")
            if (is_env or is_secret) and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value)
                    if is_secret:
                        names.add(f"{arg.value}_FILE")
                else:
                    assert self.function == "env_secret", (
                        f"base.py line {node.lineno}: environment variable name is not a literal")
            self.generic_visit(node)

    Visitor().visit(tree)
    return names


def production_env(tmp_path, **overrides) -> dict[str, str]:
    """A clean, production-like environment (nothing inherited from the test run)."""
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "meldcode.settings.base",
        "DJANGO_SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "MELDCODE_PSEUDONYM_KEY": secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "DJANGO_ALLOWED_HOSTS": PRODUCTION_HOST,
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env)


def web_healthcheck_script() -> str:
    test = SERVICES["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    return test[3]


# --- docker-compose.yml: topology -----------------------------------------------------------

def test_compose_has_the_expected_services():
    assert set(SERVICES) == set(APP_SERVICES) | set(BACKING_SERVICES)


def test_backing_services_use_the_intended_images():
    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert SERVICES["redis"]["image"].startswith("redis:7")
    # The broker keeps queued tasks across a restart.
    redis_cmd = command("redis")
    assert option(redis_cmd, "--appendonly") == "yes"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_build_from_the_dockerfile(service):
    build = SERVICES[service]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (ROOT / context).resolve() == ROOT
    assert dockerfile == "Dockerfile" and (ROOT / context / dockerfile).is_file()


def test_app_services_share_one_image():
    images = {SERVICES[s].get("image") for s in APP_SERVICES}
    assert len(images) == 1 and None not in images


def test_only_web_publishes_a_port():
    published = {name for name, svc in SERVICES.items() if svc.get("ports")}
    assert published == {"web"}
    (port,) = SERVICES["web"]["ports"]
    assert str(port).endswith(":8000")


def test_healthchecks_for_postgres_redis_and_web():
    for name in ("postgres", "redis", "web"):
        assert SERVICES[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert SERVICES["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]
    assert "/gezond/" in web_healthcheck_script()


def test_start_order():
    def depends(service):
        deps = SERVICES[service].get("depends_on", {})
        assert isinstance(deps, dict), f"{service}: depends_on needs conditions"
        return {name: spec.get("condition") for name, spec in deps.items()}

    assert depends("migrate") == {"postgres": "service_healthy"}
    assert SERVICES["migrate"]["restart"] == "no"  # a string: unquoted `no` is YAML false
    for service in ("web", "worker", "beat"):
        deps = depends(service)
        assert deps["migrate"] == "service_completed_successfully", service
        assert deps["redis"] == "service_healthy", service
        assert SERVICES[service]["restart"] in ("always", "unless-stopped")


def test_named_volumes_are_declared_and_media_is_shared():
    declared = set(COMPOSE.get("volumes") or {})
    assert {"postgres_data", "redis_data", "media"} <= declared
    mounts = {}
    for name, svc in SERVICES.items():
        for volume in svc.get("volumes", []):
            source, target = str(volume).split(":")[:2]
            if not source.startswith((".", "/", "~")):
                assert source in declared, f"{name}: volume {source} is not declared"
            mounts.setdefault(source, set()).add((name, target))
    assert mounts["postgres_data"] == {("postgres", "/var/lib/postgresql/data")}
    assert mounts["redis_data"] == {("redis", "/data")}
    media_root = SERVICES["web"]["environment"]["DJANGO_MEDIA_ROOT"]
    assert mounts["media"] == {("web", media_root), ("worker", media_root)}


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_read_env_file_and_reach_the_service_hosts(service):
    svc = SERVICES[service]
    assert as_list(svc["env_file"]) == [".env"]
    environment = svc["environment"]
    assert environment["DJANGO_SETTINGS_MODULE"] == "meldcode.settings.base"

    database_url = re.sub(r"\$\{[^}]*\}", "password", environment["DATABASE_URL"])
    config = environ.Env.db_url_config(database_url)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["HOST"] == "postgres" and config["NAME"] == "meldcode"
    postgres_env = SERVICES["postgres"]["environment"]
    assert config["USER"] == postgres_env["POSTGRES_USER"]
    assert config["NAME"] == postgres_env["POSTGRES_DB"]

    broker = urlparse(environment["CELERY_BROKER_URL"])
    assert broker.scheme == "redis" and broker.hostname == "redis"


def test_compose_interpolates_only_documented_variables():
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_TEXT))
    assert used, "expected ${POSTGRES_PASSWORD} in docker-compose.yml"
    assert used <= documented_variables()


# --- docker-compose.yml: commands name real things ------------------------------------------

def test_web_runs_gunicorn_on_the_wsgi_application():
    cmd = command("web")
    assert cmd[0] == "gunicorn"
    assert option(cmd, "--bind", "-b") == "0.0.0.0:8000"
    (target,) = [part for part in cmd[1:] if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", part)]
    module_name, attribute = target.split(":")
    assert target == "meldcode.wsgi:application"
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))


def test_web_command_is_the_image_default():
    cmd_line = [line for line in DOCKERFILE.replace("\\\n", " ").splitlines()
                if line.startswith("CMD ")]
    assert len(cmd_line) == 1
    assert json.loads(cmd_line[0][4:]) == command("web")


@pytest.mark.parametrize("service, subcommand", [("worker", "worker"), ("beat", "beat")])
def test_celery_services_use_the_project_app(service, subcommand):
    from celery import Celery

    cmd = command(service)
    assert cmd[:4] == ["celery", "-A", "meldcode", subcommand]
    package = importlib.import_module(cmd[2])
    assert isinstance(package.celery_app, Celery)
    assert package.celery_app.main == "meldcode"


def test_beat_scheduler_class_imports():
    from celery.beat import Scheduler
    from django.conf import settings

    path = option(command("beat"), "--scheduler", "-S")
    module_name, class_name = path.split(":")
    scheduler = getattr(importlib.import_module(module_name), class_name)
    assert issubclass(scheduler, Scheduler)
    assert path == settings.CELERY_BEAT_SCHEDULER


def test_migrate_runs_the_migrate_management_command():
    from django.core.management import get_commands

    cmd = command("migrate")
    assert cmd[:3] == ["python", "manage.py", "migrate"] and "--noinput" in cmd
    assert (ROOT / "manage.py").is_file()
    assert "migrate" in get_commands()


@pytest.mark.django_db
def test_health_url_answers_ok_anonymously(client):
    response = client.get("/gezond/")
    assert response.status_code == 200
    assert response.content.strip() == b"ok"


class _StubHandler(BaseHTTPRequestHandler):
    status = 200
    seen: list = []

    def do_GET(self):  # noqa: N802
        type(self).seen.append((self.path, dict(self.headers)))
        body = b"ok" if self.status == 200 else b"kapot"
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("status, healthy", [(200, True), (500, False)])
def test_web_healthcheck_script_sends_host_and_https_and_reads_the_answer(status, healthy):
    script = web_healthcheck_script()
    assert "http://127.0.0.1:8000/gezond/" in script
    handler = type("Handler", (_StubHandler,), {"status": status, "seen": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        script = script.replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        env = {"PATH": os.environ.get("PATH", ""),
               "DJANGO_ALLOWED_HOSTS": f"{PRODUCTION_HOST},andere.example.nl"}
        result = run([sys.executable, "-c", script], env, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is healthy, result.stderr
    ((path, headers),) = handler.seen
    assert path == "/gezond/"
    assert headers["Host"] == PRODUCTION_HOST
    assert headers["X-Forwarded-Proto"] == "https"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs /dev/shm (Linux)")
def test_web_command_serves_the_health_url_under_production_settings(tmp_path):
    """Gunicorn started with the compose command passes the compose healthcheck."""
    port = _free_port()
    cmd = command("web")
    cmd[cmd.index("0.0.0.0:8000")] = f"127.0.0.1:{port}"
    cmd[cmd.index("--workers") + 1] = "1"
    env = production_env(tmp_path)
    (tmp_path / "static").mkdir()
    script = web_healthcheck_script().replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    server = subprocess.Popen([sys.executable, "-m", *cmd], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            result = run([sys.executable, "-c", script], env, timeout=15)
            if result.returncode == 0 or time.monotonic() > deadline or server.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert result.returncode == 0, result.stderr + output


def test_celery_loads_the_project_app_under_production_settings(tmp_path):
    result = run([sys.executable, "-m", "celery", "-A", "meldcode", "report"],
                 production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "transport:memory" in result.stdout  # CELERY_BROKER_URL came from the settings


# --- .env.example against the settings ------------------------------------------------------

def test_every_env_example_variable_is_read_somewhere():
    source = settings_source()
    process_source = "\n".join(
        (ROOT / p).read_text() for p in ("manage.py", "meldcode/wsgi.py", "meldcode/celery.py"))
    secret_bases = {name[:-len("_FILE")] for name in base_settings_env_reads()
                    if name.endswith("_FILE")}
    unread = []
    for name in sorted(documented_variables()):
        if name in COMPOSE_ONLY_VARIABLES:
            found = "${" + name in COMPOSE_TEXT
        elif name in PROCESS_VARIABLES:
            found = f'"{name}"' in process_source
        elif name.endswith("_FILE") and name[:-len("_FILE")] in secret_bases:
            found = True  # env_secret(NAME) reads NAME_FILE
        else:
            found = re.search(rf"[\"']{name}[\"']", source) is not None
        if not found:
            unread.append(name)
    assert not unread, f".env.example documents variables nothing reads: {unread}"


def test_every_settings_variable_is_in_env_example():
    read = base_settings_env_reads()
    assert {"DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE", "DATABASE_URL",
            "CELERY_BROKER_URL", "MELDCODE_DEMO"} <= read and len(read) >= 20
    # _MELDCODE_DEV_SETTINGS is an internal flag that dev.py sets for itself.
    missing = sorted(name for name in read - documented_variables() if not name.startswith("_"))
    assert not missing, f"add these to .env.example: {missing}"


def test_env_example_is_production_like():
    active, optional = env_example_lines()
    env = environ.Env()
    assert active["DJANGO_SETTINGS_MODULE"] == "meldcode.settings.base"
    assert env.parse_value(active["DJANGO_DEBUG"], bool) is False
    assert env.parse_value(active["DJANGO_SECURE_SSL_REDIRECT"], bool) is True
    assert int(active["DJANGO_HSTS_SECONDS"]) >= 31536000
    assert "MELDCODE_DEMO" not in active or not env.parse_value(active["MELDCODE_DEMO"], bool)
    assert active["DJANGO_ALLOWED_HOSTS"] != "*"
    assert all(o.startswith("https://") for o in active["DJANGO_CSRF_TRUSTED_ORIGINS"].split(","))
    assert active["MELDCODE_BASE_URL"].startswith("https://")
    for name in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD"):
        assert "vervang" in active[name], f"{name} must be an obvious placeholder"


def test_env_example_reads_the_same_in_a_shell(tmp_path):
    """docs/deployment.md exports it with `set -a; . ./.env`: the shell must agree."""
    active, _ = env_example_lines()
    result = run(["bash", "-c", 'set -a; . "$0"; env -0', str(ROOT / ".env.example")],
                 {"PATH": os.environ.get("PATH", "")}, timeout=30)
    assert result.returncode == 0, result.stderr
    exported = dict(item.split("=", 1) for item in result.stdout.split("\0") if "=" in item)
    assert {name: exported.get(name) for name in active} == active


def test_env_example_values_pass_the_deploy_checks(tmp_path):
    """Every placeholder has a format the production settings accept (URLs, numbers, ...)."""
    active, _ = env_example_lines()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **active}
    result = manage("check", "--deploy", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


# --- Dockerfile -----------------------------------------------------------------------------

def test_dockerfile_uses_python_311_and_installs_the_lock_file():
    (base,) = re.findall(r"^FROM\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert base.startswith("python:3.11")
    assert re.search(r"^COPY\s+requirements\.lock\s", DOCKERFILE, re.MULTILINE)
    assert re.search(r"pip install\s+(?:\S+\s+)*-r\s+\S*requirements\.lock", DOCKERFILE)


def test_dockerfile_installs_weasyprint_libraries_and_runs_unprivileged():
    assert "--no-install-recommends" in DOCKERFILE
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0",
                    "fonts-dejavu-core"):
        assert re.search(rf"\s{re.escape(package)}\s", DOCKERFILE), package
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"^EXPOSE\s+8000\b", DOCKERFILE, re.MULTILINE)
    assert re.search(r"DJANGO_SETTINGS_MODULE=meldcode\.settings\.base", DOCKERFILE)


def _collectstatic_step() -> tuple[dict[str, str], list[str]]:
    (step,) = [s for s in DOCKERFILE.replace("\\\n", " ").splitlines()
               if s.startswith("RUN ") and "collectstatic" in s]
    words = shlex.split(step[4:].split("&&")[0])
    assignments = dict(w.split("=", 1) for w in words if re.match(r"[A-Z_]+=", w))
    return assignments, [w for w in words if not re.match(r"[A-Z_]+=", w)]


def test_dockerfile_collects_static_files_with_throwaway_values():
    assignments, cmd = _collectstatic_step()
    assert cmd == ["python", "manage.py", "collectstatic", "--noinput"]
    assert assignments["DATABASE_URL"] == "sqlite:////tmp/x.sqlite3"
    assert assignments["CELERY_BROKER_URL"] == "memory://"
    assert assignments["DJANGO_SECRET_KEY"]


@pytest.mark.slow
def test_dockerfile_collectstatic_step_works(tmp_path):
    assignments, cmd = _collectstatic_step()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "meldcode.settings.base",
           "DJANGO_STATIC_ROOT": str(tmp_path / "static"), **assignments,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    result = run([sys.executable, *cmd[1:]], env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()


def test_dockerignore_keeps_secrets_out_and_code_in():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", ".git", ".venv", "var"} <= ignored
    needed = {"manage.py", "requirements.lock", "meldcode", "templates", "static", "locale"}
    needed |= {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert not needed & ignored


# --- production settings in a subprocess ----------------------------------------------------

def test_check_deploy_passes_with_production_environment(tmp_path):
    result = manage("check", "--deploy", env=production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in output and "warning" not in result.stderr.lower(), output


def test_secret_key_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "django_secret_key"
    secret_file.write_text(secrets.token_urlsafe(60) + "\n")
    env = production_env(tmp_path, DJANGO_SECRET_KEY=None,
                         DJANGO_SECRET_KEY_FILE=str(secret_file))
    result = manage("check", "--deploy", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


ENTRYPOINTS = {
    "manage.py": [sys.executable, "manage.py", "check"],
    "gunicorn": [sys.executable, "-c", "import meldcode.wsgi"],
}


@pytest.mark.parametrize("entrypoint", ENTRYPOINTS)
@pytest.mark.parametrize("secret", [None, ""])
def test_missing_secret_key_stops_production_settings(tmp_path, entrypoint, secret):
    result = run(ENTRYPOINTS[entrypoint], production_env(tmp_path, DJANGO_SECRET_KEY=secret))
    assert result.returncode != 0
    (message,) = [line for line in result.stderr.splitlines()
                  if line.startswith("django.core.exceptions.ImproperlyConfigured")]
    assert "DJANGO_SECRET_KEY" in message


@pytest.mark.parametrize("entrypoint", ENTRYPOINTS)
def test_demo_mode_stops_production_settings(tmp_path, entrypoint):
    result = run(ENTRYPOINTS[entrypoint], production_env(tmp_path, MELDCODE_DEMO="1"))
    assert result.returncode != 0
    (message,) = [line for line in result.stderr.splitlines()
                  if line.startswith("django.core.exceptions.ImproperlyConfigured")]
    assert "MELDCODE_DEMO" in message
