"""API tokens: random, shown once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "dct_"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast unsalted hash is enough to make a stolen table
    # useless, and it lets a request find its token by an indexed lookup.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
