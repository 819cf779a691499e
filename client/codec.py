"""Payload encryption: AES-GCM over every payload docorch's clients and workers write to
Temporal (workflow and activity inputs and results, updates, queries, failures' details), so
documents' passages and answers are ciphertext in Temporal's database and UI.

Keys come from ``DOCORCH_CODEC_KEYS`` (``kid1:base64key,kid2:base64key``): the first encrypts,
every key decrypts, and each encrypted payload names its key id in its metadata, so a new key
can be put first while histories written with the old ones stay readable. Payloads that are not
encrypted (written before encryption was turned on) pass through decoding unchanged.

The DocorchPlugin carries the codec (``client.connection.connect`` builds it from the
settings), so the SDK, the workers built on its client, the replayer and the tests share it; the
HTTP API serves it to the Temporal Web UI and CLI as a remote codec (``/codec/decode``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from models.settings import Settings

ENCODING = b"binary/encrypted"
"""The ``encoding`` metadata of an encrypted payload."""
KEY_ID = "encryption-key-id"
"""The metadata entry naming the key that encrypted the payload."""
NONCE_BYTES = 12


class PayloadDecryptionError(Exception):
    """An encrypted payload that these keys cannot read: its key id is not configured, or it
    does not authenticate (altered, or encrypted with another key under the same id)."""


class EncryptionCodec(PayloadCodec):
    """AES-GCM with key rotation: encodes with the first key, decodes with the one a payload
    names. The key id is the associated data, so a payload cannot be passed off under another
    id; a fresh random nonce per payload."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("an EncryptionCodec needs at least one (key id, key) pair")
        self._ciphers = {kid: AESGCM(key) for kid, key in keys}
        self.key_id = keys[0][0]
        """The id of the key new payloads are encrypted with."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Each payload serialized and encrypted with the first key."""
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Each encrypted payload decrypted with the key it names; others unchanged.
        Raises PayloadDecryptionError for one these keys cannot read."""
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """``payload`` encrypted with the first key."""
        nonce = os.urandom(NONCE_BYTES)
        kid = self.key_id.encode()
        sealed = self._ciphers[self.key_id].encrypt(nonce, payload.SerializeToString(), kid)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: kid}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """``payload`` decrypted, or unchanged when it is not encrypted."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        kid = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise PayloadDecryptionError(
                f"payload encrypted with key id {kid!r}, which DOCORCH_CODEC_KEYS does not hold "
                f"(it holds {', '.join(sorted(self._ciphers))}): add that key after the first"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, kid.encode())
        except InvalidTag:
            raise PayloadDecryptionError(
                f"payload under key id {kid!r} does not authenticate: altered, or encrypted "
                "with a different key of the same id"
            ) from None
        return Payload.FromString(plain)


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    """The codec ``settings`` configure (DOCORCH_CODEC_KEYS), or None: plain payloads."""
    ring = settings.codec_key_ring()
    return EncryptionCodec(ring) if ring else None
