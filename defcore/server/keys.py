"""Registering a public key needs proof of its private key, and a key has one owner.

A signed upload names its owner by the key alone (as in RefStack), so whoever registers a key
must show the private key: a signature of a fixed message. Two messages are accepted:

- defcore's own, `defcore public key of account <id>`, which names the account: a proof made
  for one account cannot be replayed to register the key to another.
- RefStack's `self_signature` (`POST /v1/profile/pubkeys`): RSA PKCS#1 v1.5 SHA-256 over the
  string `signature`, hex-encoded, which `refstack-client self-sign` prints. It names no
  account, so it only proves possession; a key is anyway refused once another account has it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from defcore.errors import Conflict, NotFound, SignatureError
from defcore.server.models import PublicKey, User
from defcore.server.signatures import ParsedKey, decode_signature, parse_public_key, verify

REFSTACK_PROOF = b"signature"


def proof_message(user_id: int) -> bytes:
    """What an account signs with a private key to register its public key (defcore's API)."""
    return f"defcore public key of account {user_id}".encode()


def check_proof(key: ParsedKey, self_signature: str, message: bytes) -> None:
    """Raise SignatureError unless `self_signature` is the key's signature of `message`."""
    try:
        verify(key, decode_signature(self_signature), message)
    except SignatureError:
        raise SignatureError(
            f"self_signature: not a signature of {message.decode()!r} by {key.algorithm} key "
            f"SHA256:{key.fingerprint[:16]}; sign that text with the key's private key"
        ) from None


def register_key(
    session: Session,
    user: User,
    public_key: str,
    self_signature: str,
    label: str = "",
    message: bytes | None = None,
) -> PublicKey:
    """Store `public_key` for `user` once its proof holds and no account has the key yet."""
    parsed = parse_public_key(public_key)
    check_proof(parsed, self_signature, proof_message(user.id) if message is None else message)
    owner = session.scalar(
        select(PublicKey.user_id).where(PublicKey.fingerprint == parsed.fingerprint)
    )
    if owner is not None:
        whose = "your account" if owner == user.id else "another account"
        raise Conflict(f"key SHA256:{parsed.fingerprint[:16]} is already registered to {whose}")
    key = PublicKey(
        user_id=user.id,
        algorithm=parsed.algorithm,
        fingerprint=parsed.fingerprint,
        openssh=parsed.openssh,
        label=label,
    )
    try:
        with session.begin_nested():
            session.add(key)
    except IntegrityError:  # registered by a concurrent request meanwhile
        raise Conflict(f"key SHA256:{parsed.fingerprint[:16]} is already registered") from None
    return key


def keys_of(session: Session, user_id: int) -> list[PublicKey]:
    return list(
        session.scalars(
            select(PublicKey).where(PublicKey.user_id == user_id).order_by(PublicKey.id)
        )
    )


def delete_own_key(session: Session, user: User, key_id: int) -> None:
    """Delete one of the account's keys; another account's is "no key" (404), as a missing one.
    Uploads it signed stay stored."""
    key = session.get(PublicKey, key_id)
    if key is None or key.user_id != user.id:
        raise NotFound(f"no key {key_id}")
    session.delete(key)
