"""Signed uploads: RSA PKCS#1 v1.5 with SHA-256 (what refstack-client sends) and Ed25519.

The client sends the signature over the exact request body, hex-encoded, in `X-Signature`, and
its public key in OpenSSH form (`ssh-rsa AAAA...`, `ssh-ed25519 AAAA...`) or PEM in
`X-Public-Key`. The key must be registered to the uploading account beforehand.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from defcore.errors import SignatureError

MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class ParsedKey:
    algorithm: str  # "rsa" or "ed25519"
    openssh: str  # normalised "ssh-rsa AAAA..." without comment
    fingerprint: str  # SHA256 of the OpenSSH wire-format key, hex
    key: rsa.RSAPublicKey | ed25519.Ed25519PublicKey


def parse_public_key(text: str) -> ParsedKey:
    data = text.strip().encode("utf-8", "replace")
    if not data:
        raise SignatureError("public key is empty")
    try:
        if data.startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_ssh_public_key(b" ".join(data.split()[:2]))
    except (ValueError, UnsupportedAlgorithm, IndexError) as exc:
        raise SignatureError(
            f"public key is not an OpenSSH or PEM RSA/Ed25519 public key ({exc})"
        ) from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise SignatureError(f"RSA key has {key.key_size} bits; at least {MIN_RSA_BITS}")
        algorithm = "rsa"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = "ed25519"
    else:
        raise SignatureError("public key must be RSA or Ed25519")
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(openssh.split()[1])
    return ParsedKey(algorithm, openssh.decode(), hashlib.sha256(blob).hexdigest(), key)


def decode_signature(text: str) -> bytes:
    value = text.strip()
    try:
        return binascii.unhexlify(value)
    except (binascii.Error, ValueError):
        pass
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("X-Signature is neither hex nor base64") from None


def verify(key: ParsedKey, signature: bytes, body: bytes) -> None:
    """Raise SignatureError unless `signature` is the key's signature of exactly `body`."""
    try:
        if isinstance(key.key, rsa.RSAPublicKey):
            key.key.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.key.verify(signature, body)
    except InvalidSignature:
        raise SignatureError(
            f"signature does not match the body for {key.algorithm} key "
            f"SHA256:{key.fingerprint[:16]}: the upload was altered or signed with another key"
        ) from None


# -- client side -------------------------------------------------------------------------------


def load_private_key(path: Path) -> rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"{path}: cannot read: {exc.strerror or exc}") from None
    key: object
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise SignatureError(
            f"{path}: not an unencrypted RSA or Ed25519 private key ({exc})"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise SignatureError(f"{path}: the key must be RSA or Ed25519")
    return key


def sign(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey, body: bytes) -> tuple[str, str]:
    """(hex signature, OpenSSH public key) for the X-Signature and X-Public-Key headers."""
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.sign(body)
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return signature.hex(), public.decode()
