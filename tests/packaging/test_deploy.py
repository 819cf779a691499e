"""deploy/: the compose file is what deploy/README.md says (current images, a schema job, the
store in PostgreSQL, no volume shared by workers and the API, the API connect-only), and
``docker compose config`` accepts it when docker compose is installed (skipped otherwise)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    parsed = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = parsed["services"]
    return found


def test_temporal_runs_on_current_images_with_a_schema_job(services: dict[str, Any]) -> None:
    images = {name: str(s.get("image", "")) for name, s in services.items()}
    assert not any("auto-setup" in image for image in images.values())
    assert images["temporal"].startswith("temporalio/server:")
    assert images["temporal-ui"].startswith("temporalio/ui:")
    assert images["temporal-setup"].startswith("temporalio/admin-tools:")
    assert "temporal-sql-tool" in "".join(services["temporal-setup"]["command"])
    assert services["temporal"]["depends_on"]["temporal-setup"] == {
        "condition": "service_completed_successfully"
    }


def test_workers_and_the_api_share_no_volume_and_use_the_postgresql_store(
    services: dict[str, Any],
) -> None:
    for name in ("worker", "api"):
        service = services[name]
        assert not service.get("volumes"), f"{name} mounts a volume"
        assert service["environment"]["DOCORCH_STORE_URL"].startswith("postgresql://")
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
    assert services["worker"]["command"] == ["docorch", "worker"]
    assert "--connect-only" in services["api"]["command"]


def test_the_image_is_built_from_the_wheel_and_runs_a_worker() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 2 and "--wheel" in dockerfile
    assert 'CMD ["docorch", "worker"]' in dockerfile


def _compose() -> list[str] | None:
    """The docker compose command, when installed (the engine is not needed for ``config``)."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        probe = subprocess.run([*command, "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return command
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose()
    if command is None:
        pytest.skip("docker compose is not installed here")
    result = subprocess.run(
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
