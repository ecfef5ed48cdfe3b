"""Coverage-guided fuzzing (atheris) of the WeChat message parser, in plain and in safe (AES) mode.

    python fuzz/wechat_message.py [-atheris_runs=N]

Signature checks are passed by signing each input with the test token, so the fuzzer reaches the XML and
decryption code; any input must be parsed or refused with WeChatProtocolError.
"""

from __future__ import annotations

import hashlib
import sys
import time

import atheris

with atheris.instrument_imports():
    from symptomcheck.channels.wechat.errors import WeChatProtocolError
    from symptomcheck.channels.wechat.protocol import WeChatConfig, parse_message

TOKEN = "fuzztoken"
PLAIN = WeChatConfig(TOKEN)
SAFE = WeChatConfig(TOKEN, app_id="wx0123456789abcdef", aes_key="a" * 43)


def _sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def test_one_input(data: bytes) -> None:
    timestamp, nonce = str(int(time.time())), "nonce"
    try:
        if data[:1] == b"s":
            body = data[1:]
            # the signature covers the Encrypt element: sign whatever the parser will find there
            encrypt = body.split(b"<Encrypt><![CDATA[")[-1].split(b"]]></Encrypt>")[0].decode("latin-1")
            parse_message(SAFE, body, "", timestamp, nonce, _sign(TOKEN, timestamp, nonce, encrypt), "aes")
        else:
            parse_message(PLAIN, data, _sign(TOKEN, timestamp, nonce), timestamp, nonce)
    except WeChatProtocolError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
