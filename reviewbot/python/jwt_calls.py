"""The PyJWT and python-jose entry points that the two JWT rules look for."""

from __future__ import annotations

DECODE = frozenset(
    {
        "jwt.decode",
        "jwt.decode_complete",
        "jwt.api_jwt.decode",
        "jwt.api_jwt.decode_complete",
        "jwt.PyJWT.decode",
        "jwt.PyJWT.decode_complete",
        "jose.jwt.decode",
    }
)
ENCODE = frozenset({"jwt.encode", "jwt.api_jwt.encode", "jwt.PyJWT.encode", "jose.jwt.encode"})
JWT_PREFILTER = ("jwt", "jose")
