"""The command line on FHIR input and the CDS Hooks service it starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from backspasm import cli
from tests.conftest import ROOT

TODAY = "2026-11-26"


def test_recommend_reads_a_fhir_bundle_like_a_record(runner: CliRunner) -> None:
    result = runner.invoke(
        cli.main,
        ["recommend", "examples/fhir/acute.json", "--today", TODAY, "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    codes = {item["code"]: item["kind"] for item in answer["items"]}
    assert codes["muscle_relaxant_short_course"] == "consider"
    assert answer["not_understood"] == []


def test_codes_a_bundle_holds_that_the_table_cannot_map_are_shown_not_dropped(runner: CliRunner) -> None:
    result = runner.invoke(
        cli.main, ["recommend", "examples/fhir/unmapped-code.json", "--today", TODAY], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "NOT UNDERSTOOD" in result.output
    assert "Condition/um-diabetes" in result.output
    as_json = json.loads(
        runner.invoke(
            cli.main,
            ["recommend", "examples/fhir/unmapped-code.json", "--today", TODAY, "--format", "json"],
            catch_exceptions=False,
        ).output
    )
    assert [entry["resource"] for entry in as_json["not_understood"]] == [
        "Condition/um-diabetes",
        "MedicationStatement/um-metformin",
        "Encounter/um-visit",
    ]


def test_a_bundle_with_an_invalid_resource_is_exit_1_naming_it(runner: CliRunner, tmp_path: object) -> None:
    bundle = json.loads((ROOT / "examples" / "fhir" / "acute.json").read_text())
    bundle["entry"][0]["resource"]["birthDate"] = "not-a-date"
    broken = tmp_path / "broken.json"  # type: ignore[operator]
    broken.write_text(json.dumps(bundle))
    result = runner.invoke(cli.main, ["recommend", str(broken), "--today", TODAY])
    assert result.exit_code == 1
    assert "birthDate" in result.output
    assert "Traceback" not in result.output


def free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return int(listener.getsockname()[1])


def test_serve_starts_the_cds_hooks_service_on_loopback() -> None:
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "backspasm",
            "serve",
            "--port",
            str(port),
            "--no-auth",
            "--format",
            "json",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            served(process, port)
        finally:
            process.terminate()
            process.wait(timeout=10)


def served(process: subprocess.Popen[str], port: int) -> None:
    """The service announces its discovery URL, then answers discovery with both hooks."""
    assert process.stdout is not None
    announced = json.loads(process.stdout.readline())
    assert announced["discovery"] == f"http://127.0.0.1:{port}/cds-services"
    deadline = time.monotonic() + 30
    while True:
        try:
            response = httpx.get(announced["discovery"], timeout=2)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.2)
    assert response.status_code == 200
    hooks = {service["hook"] for service in response.json()["services"]}
    assert hooks == {"patient-view", "order-sign"}


def test_without_the_cds_extra_a_bundle_gets_a_clear_message(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)  # as if fhir.resources were not installed
    result = runner.invoke(cli.main, ["recommend", "examples/fhir/acute.json"])
    assert result.exit_code == 1
    assert "FHIR input needs the cds extra" in result.output
    assert "pip install 'backspasm[cds]'" in result.output


def test_serve_needs_trusted_issuers_or_an_explicit_no_auth(runner: CliRunner) -> None:
    result = runner.invoke(cli.main, ["serve"])
    assert result.exit_code == 2 and "--issuer ISS=JWKS_URL, or pass --no-auth" in result.output


def test_serve_on_all_interfaces_warns_and_passes_its_settings_on(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import backspasm.reasoner.cds as cds

    started: list[Any] = []
    monkeypatch.setattr(cds, "serve", lambda settings, host, port, workers: started.append((settings, host, workers)))
    jwks = "https://ehr.example.org/jwks.json"
    result = runner.invoke(
        cli.main, ["serve", "--host", "0.0.0.0", "--workers", "2", "--issuer", f"https://ehr.example.org={jwks}"]
    )
    assert result.exit_code == 0, result.output
    assert "warning: listening on 0.0.0.0, reachable from other machines" in result.output
    [(settings, host, workers)] = started
    assert (host, workers, settings.issuers) == ("0.0.0.0", 2, {"https://ehr.example.org": jwks})
    assert settings.public_url == "http://0.0.0.0:8080" and not settings.allow_unauthenticated
