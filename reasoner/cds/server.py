"""Run the CDS Hooks service with uvicorn: in the foreground, or in a thread for tests and benchmarks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from ..advisor.advisor import Advisor
from .app import create_app
from .auth import JwtVerifier
from .settings import ServiceSettings

GRACEFUL_SHUTDOWN = 10
"""Seconds running calls get to finish after SIGTERM or SIGINT before the workers stop."""


def serve(settings: ServiceSettings, host: str = "127.0.0.1", port: int = 8080, *, workers: int = 1) -> None:
    """Serve until interrupted, in ``workers`` processes. Binds to loopback unless told otherwise.

    Uvicorn's own access log is off (it would log ``/why`` tokens); each worker logs one JSON
    line per request without bodies (``reasoner/cds/access.py``). On SIGTERM the workers stop
    taking connections and finish running calls for up to :data:`GRACEFUL_SHUTDOWN` seconds.
    """
    import uvicorn

    settings.to_environment()
    uvicorn.run(
        "backspasm.reasoner.cds.worker:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=False,
        lifespan="off",
        ws="none",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN,
        timeout_keep_alive=5,
    )


@contextmanager
def running_server(
    advisor: Advisor,
    host: str = "127.0.0.1",
    *,
    clock: Callable[[], date] = date.today,
    cors_origins: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (),
    verifier: JwtVerifier | None = None,
    allow_unauthenticated: bool = False,
) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, in a background thread; yields its base URL.

    Like :func:`create_app`, it needs a ``verifier`` or an explicit ``allow_unauthenticated``.
    """
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(
            advisor,
            public_url=f"http://{host}:{port}",
            verifier=verifier,
            allow_unauthenticated=allow_unauthenticated,
            clock=clock,
            cors_origins=cors_origins,
            fhir_servers=fhir_servers,
        ),
        log_level="warning",
        lifespan="off",
        ws="none",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the CDS service did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
