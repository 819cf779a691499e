"""The AES-GCM payload codec and its keys (DOCORCH_CODEC_KEYS): round trips, rotation, and the
clear errors for a missing key, an altered payload and a malformed key list."""

from __future__ import annotations

import base64
import os

import pytest
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload

from client.codec import ENCODING, KEY_ID, EncryptionCodec, PayloadDecryptionError, payload_codec
from models.settings import Settings

OLD, NEW = os.urandom(32), os.urandom(16)


def _keys(*pairs: tuple[str, bytes]) -> str:
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in pairs)


def _plain(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_payloads_are_encrypted_under_the_first_key_and_decrypt_back() -> None:
    codec = EncryptionCodec([("k1", OLD)])
    payloads = [_plain('"the notice period is 90 days"'), _plain("{}")]
    encoded = await codec.encode(payloads)
    assert all(p.metadata["encoding"] == ENCODING and p.metadata[KEY_ID] == b"k1" for p in encoded)
    assert all(b"notice" not in p.data for p in encoded)
    assert encoded[0].data != (await codec.encode(payloads[:1]))[0].data  # a fresh nonce
    assert await codec.decode(encoded) == payloads


async def test_a_rotated_key_list_still_decrypts_old_payloads_and_encrypts_with_the_new_key() -> (
    None
):
    old = await EncryptionCodec([("k1", OLD)]).encode([_plain('"old"')])
    rotated = EncryptionCodec([("k2", NEW), ("k1", OLD)])
    assert await rotated.decode(old) == [_plain('"old"')]
    new = await rotated.encode([_plain('"new"')])
    assert new[0].metadata[KEY_ID] == b"k2"
    with pytest.raises(PayloadDecryptionError, match="key id 'k2'"):
        await EncryptionCodec([("k1", OLD)]).decode(new)


async def test_an_altered_payload_or_one_under_another_key_id_is_refused() -> None:
    codec = EncryptionCodec([("k1", OLD), ("k2", NEW)])
    (sealed,) = await codec.encode([_plain('"x"')])
    altered = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + b"\x00")
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"k2"}, data=sealed.data)
    for bad in (altered, relabelled):
        with pytest.raises(PayloadDecryptionError, match="does not authenticate"):
            await codec.decode([bad])


async def test_payloads_written_before_encryption_pass_through() -> None:
    payloads = [_plain('"written in plain"'), Payload(metadata={"encoding": b"binary/null"})]
    assert await EncryptionCodec([("k1", OLD)]).decode(payloads) == payloads


def test_the_settings_parse_the_key_list_in_order() -> None:
    settings = Settings(codec_keys=SecretStr(_keys(("new", NEW), ("old", OLD))))
    assert settings.codec_key_ring() == (("new", NEW), ("old", OLD))
    codec = payload_codec(settings)
    assert codec is not None and codec.key_id == "new"
    assert payload_codec(Settings(codec_keys=None)) is None
    assert payload_codec(Settings(codec_keys=SecretStr(" "))) is None  # compose's unset: empty
    assert "new:" not in repr(settings)  # the keys are secret


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("k1", "expected 'key-id:base64-key'"),
        ("bad id:" + base64.b64encode(OLD).decode(), "expected 'key-id:base64-key'"),
        ("k1:not-base64!", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "5 bytes"),
        (_keys(("k1", OLD), ("k1", NEW)), "given twice"),
        (" , , ", "names no key"),
    ],
)
def test_a_malformed_key_list_is_refused_with_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem) as refused:
        Settings(codec_keys=SecretStr(text))
    assert base64.b64encode(OLD).decode() not in str(refused.value)
