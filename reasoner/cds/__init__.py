"""An HL7 CDS Hooks service over the advisor: ``patient-view`` and ``order-sign`` (docs/cds-hooks.md).

:func:`create_app` builds the ASGI app, :func:`serve` runs it with uvicorn, and
:func:`running_server` runs it in a background thread on a free port for tests and
benchmarks. What the services are called, what they prefetch and how items become
cards is data of the knowledge base (the ``cds`` section of its ``fhir`` data file).
"""

from .app import BODY_LIMIT, create_app
from .hooks import Hooks
from .requests import HookError
from .server import running_server, serve
from .settings import ServiceSettings

__all__ = ["BODY_LIMIT", "HookError", "Hooks", "ServiceSettings", "create_app", "running_server", "serve"]
