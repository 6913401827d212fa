"""Who is calling: the EHR's JSON Web Token, verified as CDS Hooks 2.0 asks.

Each call carries ``Authorization: Bearer <JWT>`` signed by the EHR. The token's issuer
(``iss``) must be one the service was configured with, and the signature must verify with a
key of that issuer's JSON Web Key Set, fetched from the URL configured for it (never from a
URL the token names). ``aud`` must be the URL of the endpoint called, built from the
service's configured public base URL (never the request's Host header); ``exp``, ``iat``
and ``jti`` are required, the token may live at most :data:`LONGEST_LIFETIME` seconds, and
a ``jti`` is accepted once. Failures are :class:`AuthError` with a reason that names the
check, never the token. PyJWT does the cryptography.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "ES512", "RS512", "PS384")
"""Asymmetric algorithms only (CDS Hooks names ES384 and RS384): no ``none``, no shared secrets."""
LEEWAY = 30
"""Seconds of clock difference tolerated on ``exp`` and ``iat``."""
LONGEST_LIFETIME = 3600
"""A token whose ``exp`` is further than this past its ``iat`` is refused: it could be replayed long after."""
JTIS_KEPT = 100_000
"""Token ids remembered against replay; each is kept until its token expires."""


class AuthError(Exception):
    """The call is not authenticated; the message says which check failed."""


@dataclass(frozen=True)
class Caller:
    """The authenticated EHR of a call."""

    issuer: str
    subject: str | None = None


class JwtVerifier:
    """Verifies the bearer tokens of calls from a fixed set of issuers."""

    def __init__(
        self,
        issuers: Mapping[str, str],
        *,
        clock: Callable[[], float] = time.time,
        jwks_timeout: float = 5.0,
    ) -> None:
        """``issuers`` maps each trusted ``iss`` to the URL of its JSON Web Key Set."""
        self._clients = {
            issuer: jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=int(max(1, jwks_timeout)))
            for issuer, url in issuers.items()
        }
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, authorization: str | None, audience: str) -> Caller:
        """The caller of a request with header ``authorization`` to the endpoint ``audience``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("an Authorization: Bearer <JWT> header from a trusted EHR is required")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JWT") from None
        if header.get("alg") not in ALGORITHMS:
            raise AuthError(f"the JWT's algorithm must be one of {', '.join(ALGORITHMS)}")
        issuer = unverified.get("iss")
        client = self._clients.get(issuer) if isinstance(issuer, str) else None
        if client is None or not isinstance(issuer, str):
            raise AuthError("the JWT's issuer is not one this service trusts")
        try:
            key = client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientError as error:
            raise AuthError(f"no key of the issuer verifies the JWT ({type(error).__name__})") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=list(ALGORITHMS),
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the JWT has expired") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the JWT's aud is not this endpoint's URL") from None
        except jwt.InvalidSignatureError:
            raise AuthError("the JWT's signature does not verify") from None
        except jwt.PyJWTError as error:
            raise AuthError(f"the JWT is not valid: {error}") from None
        if int(claims["exp"]) - int(claims["iat"]) > LONGEST_LIFETIME:
            raise AuthError(f"the JWT lives longer than {LONGEST_LIFETIME} seconds")
        self._once(issuer, str(claims["jti"]), float(claims["exp"]) + LEEWAY)
        subject = claims.get("sub")
        return Caller(issuer, subject if isinstance(subject, str) else None)

    def _once(self, issuer: str, jti: str, until: float) -> None:
        """Accept ``jti`` of ``issuer`` once while its token is valid."""
        now = self._clock()
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now:
                self._seen.popitem(last=False)
            if (issuer, jti) in self._seen:
                raise AuthError("the JWT's jti was already used: a replayed call")
            if len(self._seen) >= JTIS_KEPT:
                raise AuthError("too many calls in the tokens' lifetime to check for replay; retry later")
            self._seen[(issuer, jti)] = until
