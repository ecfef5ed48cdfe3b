"""Whatever arrives, the protocol functions answer or raise a WeChatProtocolError, and nothing else.

A web handler catches WeChatProtocolError only, so any other exception escaping here would be a server error
an outsider could trigger at will. Hypothesis sends arbitrary bytes, XML-like fragments, ciphertexts and
query strings; the pushes are signed correctly so that the checks behind the signature are reached too.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symptomcheck.channels.wechat import StaleTimestampError, WeChatProtocolError, verify_url

if TYPE_CHECKING:  # the stand-in for WeChat comes as a fixture; its class is imported for annotations only
    from wechat_peer import FakeWeChat

# The `wechat` fixture is a stateless value, so sharing it across generated examples is safe.
PROPERTY = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

FRAGMENTS = [
    "<xml>", "</xml>", "<ToUserName>", "</ToUserName>", "<FromUserName>", "</FromUserName>", "<CreateTime>",
    "</CreateTime>", "<MsgType>", "</MsgType>", "<Content>", "</Content>", "<Encrypt>", "</Encrypt>", "<MsgId>",
    "<![CDATA[", "]]>", "text", "event", "1700000000", "gh_1", "o_2", "&lt;", "&#0;", "&#x1F642;", "&x;",
    '<?xml version="1.0" encoding="utf-16"?>', "<!DOCTYPE xml [", '<!ENTITY x "y">', "]>", "<!-- c -->", "<?pi?>",
    "\x00", "\ufeff", "头痛", "\ud800", "<a:b xmlns:a='u'>", "</a:b>", " ", "\n",
]  # fmt: skip
xml_like = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)


def answers_or_refuses(call: Callable[[], Any]) -> None:
    with contextlib.suppress(WeChatProtocolError):
        call()


@PROPERTY
@given(body=st.binary(max_size=2048))
def test_arbitrary_bytes_as_a_signed_plain_body_raise_only_protocol_errors(wechat: FakeWeChat, body: bytes) -> None:
    answers_or_refuses(lambda: wechat.plain(body).parse(wechat.config(safe=False)))


@PROPERTY
@given(text=xml_like)
def test_xml_like_fragments_as_a_signed_plain_body_raise_only_protocol_errors(wechat: FakeWeChat, text: str) -> None:
    body = text.encode("utf-8", "surrogatepass")
    answers_or_refuses(lambda: wechat.plain(body).parse(wechat.config(safe=False)))


@PROPERTY
@given(body=st.one_of(st.binary(max_size=2048), xml_like.map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_arbitrary_bytes_as_a_safe_mode_body_raise_only_protocol_errors(wechat: FakeWeChat, body: bytes) -> None:
    push = wechat.encrypted(b"<xml/>")
    answers_or_refuses(lambda: push.parse(wechat.config(safe=True), body=body))


@PROPERTY
@given(plaintext=st.one_of(st.binary(max_size=1024), xml_like.map(lambda text: text.encode("utf-8", "surrogatepass"))))
def test_any_plaintext_correctly_encrypted_and_signed_raises_only_protocol_errors(
    wechat: FakeWeChat, plaintext: bytes
) -> None:
    answers_or_refuses(lambda: wechat.encrypted(plaintext).parse(wechat.config(safe=True)))


@PROPERTY
@given(
    ciphertext=st.one_of(st.text(max_size=200), st.binary(max_size=512).map(lambda raw: base64.b64encode(raw).decode()))
)
def test_any_signed_ciphertext_raises_only_protocol_errors(wechat: FakeWeChat, ciphertext: str) -> None:
    if "]]>" in ciphertext or not ciphertext.isprintable():
        ciphertext = base64.b64encode(ciphertext.encode("utf-8", "surrogatepass")).decode()
    push = wechat.wrap(ciphertext, wechat.signature(str(wechat.now), wechat.nonce, ciphertext))
    answers_or_refuses(lambda: push.parse(wechat.config(safe=True)))


@PROPERTY
@given(
    signature=st.text(max_size=50),
    timestamp=st.text(max_size=20),
    nonce=st.text(max_size=20),
    msg_signature=st.none() | st.text(max_size=50),
    encrypt_type=st.none() | st.sampled_from(["aes", "raw", "", "AES"]) | st.text(max_size=5),
    safe=st.booleans(),
)
def test_arbitrary_query_parameters_raise_only_protocol_errors(
    wechat: FakeWeChat,
    signature: str,
    timestamp: str,
    nonce: str,
    msg_signature: str | None,
    encrypt_type: str | None,
    safe: bool,
) -> None:
    push = wechat.encrypted(wechat.text_xml("hello")) if safe else wechat.plain(wechat.text_xml("hello"))
    overrides = {"signature": signature, "timestamp": timestamp, "nonce": nonce}
    overrides |= {"msg_signature": msg_signature, "encrypt_type": encrypt_type}
    answers_or_refuses(lambda: push.parse(wechat.config(safe=safe), now=float(wechat.now), **overrides))
    answers_or_refuses(lambda: verify_url(wechat.config(safe=safe), signature, timestamp, nonce, "echo"))


@pytest.mark.parametrize("now", [float("nan"), float("inf"), float("-inf")])
def test_a_clock_that_is_not_a_number_refuses_rather_than_accepts(wechat: FakeWeChat, now: float) -> None:
    with pytest.raises(StaleTimestampError):
        wechat.plain(wechat.text_xml("hello")).parse(wechat.config(safe=False), now=now)
