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


def serve(
    advisor: Advisor,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    log_level: str = "info",
    cors_origins: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (),
) -> None:
    """Serve until interrupted. Binds to loopback unless told otherwise: the EHR decides who may call."""
    import uvicorn

    app = create_app(advisor, cors_origins=cors_origins, fhir_servers=fhir_servers)
    uvicorn.run(app, host=host, port=port, log_level=log_level, lifespan="off", ws="none")


@contextmanager
def running_server(
    advisor: Advisor,
    host: str = "127.0.0.1",
    *,
    clock: Callable[[], date] = date.today,
    cors_origins: tuple[str, ...] = (),
    fhir_servers: tuple[str, ...] = (),
) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, in a background thread; yields its base URL."""
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(advisor, clock=clock, cors_origins=cors_origins, fhir_servers=fhir_servers),
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
