"""WeChat's "safe mode" message encryption: AES-256-CBC over a framed plaintext, and SHA-1 signatures.

The framing is WeChat's, not a general-purpose scheme: the key is the 43-character EncodingAESKey read as
base64 (with its missing "=" restored), the IV is the key's first 16 bytes, the padding is PKCS#7 over
32-byte blocks, and the plaintext is 16 random bytes, the message length (4 bytes, big-endian), the
message, then the AppID it was made for. There is no MAC: integrity comes from the signature over the
ciphertext, which the caller must check *before* decrypting, so an outsider never learns whether a
forged ciphertext decrypted (no padding oracle).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from symptomcheck.channels.wechat.errors import ConfigError, DecryptionError, WrongAppIdError

PAD_BLOCK = 32  # WeChat pads to 32-byte blocks, not AES's 16
PREFIX_BYTES = 16
_LENGTH_BYTES = 4
_ENCODING_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")


def aes_key_bytes(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind an EncodingAESKey, refusing anything WeChat would not have issued."""
    if not _ENCODING_AES_KEY.fullmatch(encoding_aes_key):
        raise ConfigError(
            "aes_key must be the account's EncodingAESKey: exactly 43 characters, letters A-Z, a-z and "
            f"digits 0-9 only (got {len(encoding_aes_key)} characters)"
        )
    return base64.b64decode(encoding_aes_key + "=")


def signature(*parts: str) -> str:
    """WeChat's signature: SHA-1 (hex) of the parts sorted and concatenated, as the platform computes it."""
    encoded = sorted(part.encode("utf-8", "surrogatepass") for part in parts)
    return hashlib.sha1(b"".join(encoded)).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    """Compare in constant time, so the time taken leaks nothing about how much of a forgery was right."""
    return given.isascii() and hmac.compare_digest(expected, given)


def encrypt(key: bytes, plaintext: bytes, app_id: str, prefix: bytes) -> str:
    """The base64 ciphertext WeChat expects for ``plaintext``; ``prefix`` must be 16 fresh random bytes."""
    if len(prefix) != PREFIX_BYTES:
        raise ValueError(f"the random prefix must be {PREFIX_BYTES} bytes, got {len(prefix)}")
    framed = prefix + len(plaintext).to_bytes(_LENGTH_BYTES, "big") + plaintext + app_id.encode("ascii")
    padding = PAD_BLOCK - len(framed) % PAD_BLOCK
    framed += bytes([padding]) * padding
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(framed) + encryptor.finalize()).decode("ascii")


def decrypt(key: bytes, ciphertext: str, app_id: str) -> bytes:
    """The message inside a safe-mode ciphertext, checked to have been made for ``app_id``."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise DecryptionError("the ciphertext is not valid base64") from None
    if not raw or len(raw) % 16:
        raise DecryptionError(f"the ciphertext is {len(raw)} bytes, not a whole number of 16-byte AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    framed = decryptor.update(raw) + decryptor.finalize()
    padding = framed[-1]
    if not 1 <= padding <= PAD_BLOCK or framed[-padding:] != bytes([padding]) * padding:
        raise DecryptionError("the decrypted text has no valid PKCS#7 padding (32-byte blocks): wrong aes_key?")
    framed = framed[:-padding]
    header = PREFIX_BYTES + _LENGTH_BYTES
    if len(framed) < header:
        raise DecryptionError("the decrypted text is too short to hold the random prefix and the length")
    length = int.from_bytes(framed[PREFIX_BYTES:header], "big")
    if length > len(framed) - header:
        raise DecryptionError(f"the decrypted text announces {length} bytes of message but holds fewer")
    message, sender = framed[header : header + length], framed[header + length :]
    if not hmac.compare_digest(sender, app_id.encode("ascii")):
        raise WrongAppIdError(f"the message was encrypted for another AppID than {app_id}")
    return message
