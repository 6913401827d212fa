"""``backspasm serve``: the CDS Hooks service over HTTP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .options import BUNDLED_KB, CONTEXT_SETTINGS, load_advisor, output_options


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind; loopback by default.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.option(
    "--public-url",
    help="The base URL EHRs call the service at; card links and the JWT audience use it. [default: http://HOST:PORT]",
)
@click.option(
    "--issuer",
    "issuers",
    multiple=True,
    metavar="ISS=JWKS_URL",
    help="A trusted EHR: its JWT issuer and the URL of its JSON Web Key Set (repeatable).",
)
@click.option(
    "--no-auth", is_flag=True, help="Development only: accept calls without a JWT (e.g. from a local sandbox)."
)
@click.option(
    "--workers", type=click.IntRange(1, 64), default=1, show_default=True, help="Worker processes serving calls."
)
@click.option(
    "--cors-origin", "cors_origins", multiple=True, help="A browser origin allowed to call the service (repeatable)."
)
@click.option(
    "--fhir-server",
    "fhir_servers",
    multiple=True,
    help="A FHIR server the service may query for a missing prefetch, with the call's token (repeatable).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="How much the server logs.",
)
@output_options()
def serve(
    host: str,
    port: int,
    public_url: str | None,
    issuers: tuple[str, ...],
    no_auth: bool,
    workers: int,
    cors_origins: tuple[str, ...],
    fhir_servers: tuple[str, ...],
    log_level: str,
    kb_path: Path | None,
    output_format: str,
) -> None:
    """Run the CDS Hooks service (patient-view and order-sign) over HTTP until interrupted.

    Calls must carry a JWT of an EHR named with --issuer (CDS Hooks 2.0: signature checked
    with the issuer's JWKS, aud = the URL called, exp, jti used once); --no-auth is for
    development only. Discovery is at GET /cds-services and GET /health answers when the
    service is up; each card links to GET /why/{token} for the full explanation. Patients
    arrive as FHIR R4 in the request's prefetch (see docs/cds-hooks.md). Before serving it
    prints where it listens: a sentence, or with --format json one JSON line {"url",
    "discovery", "knowledge_base"} for a supervisor to read. Each request is logged as one
    JSON line on stderr, without bodies. Needs the cds extra: pip install 'backspasm[cds]'.

    Example:

    \b
        curl -s http://127.0.0.1:8080/cds-services   # once it runs
        backspasm serve --port 8080 --no-auth   # development, against a local sandbox
        backspasm serve --workers 2 --public-url https://cds.example.org --issuer https://ehr.example.org=https://ehr.example.org/jwks.json
    """
    trusted: dict[str, str] = {}
    for issuer in issuers:
        name, equals, jwks = issuer.rpartition("=")
        if not equals or not name or not jwks.startswith(("https://", "http://")):
            raise click.BadParameter(f"{issuer!r} is not ISS=JWKS_URL", param_hint="--issuer")
        trusted[name] = jwks
    if not trusted and not no_auth:
        raise click.UsageError(
            "name the EHRs that may call with --issuer ISS=JWKS_URL, or pass --no-auth for development"
        )
    if trusted and no_auth:
        raise click.UsageError("--no-auth and --issuer contradict each other")
    advisor = load_advisor(kb_path)
    try:
        from ..cds import ServiceSettings
        from ..cds import serve as run_service
    except ImportError as error:
        raise click.ClickException(
            f"the CDS Hooks service needs the cds extra ({error.name} is missing): pip install 'backspasm[cds]'"
        ) from None
    url = f"http://{host}:{port}"
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: listening on {host}, reachable from other machines"
            + ("; without authentication anyone there can read patients' advice" if no_auth else "")
            + (f"; card links use {public_url}" if public_url else f"; card links use {url}: set --public-url"),
            err=True,
        )
    if no_auth:
        click.echo("warning: --no-auth: calls are not authenticated; for development only", err=True)
    if output_format == "json":
        click.echo(
            json.dumps(
                {"url": url, "discovery": f"{url}/cds-services", "knowledge_base": advisor.identity}, sort_keys=True
            )
        )
    else:
        click.echo(f"CDS Hooks service for {advisor.kb.name} {advisor.kb.version} at {url}/cds-services")
    sys.stdout.flush()
    settings = ServiceSettings(
        public_url=public_url or url,
        kb_path=str(kb_path or BUNDLED_KB),
        issuers=trusted,
        allow_unauthenticated=no_auth,
        cors_origins=cors_origins,
        fhir_servers=fhir_servers,
        log_level=log_level,
    )
    run_service(settings, host, port, workers=workers)
