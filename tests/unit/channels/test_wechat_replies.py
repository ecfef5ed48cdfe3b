"""Passive text replies, read back by an independent peer (wechatpy) exactly as WeChat would read them.

A reply that WeChat cannot parse or decrypt is silently dropped and the user sees "该公众号暂时无法提供服务",
so every reply here goes through wechatpy's parser, and in safe mode through its signature check and
decryption first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from wechatpy import parse_message as peer_parse
from wechatpy.replies import TextReply, deserialize_reply

from symptomcheck.channels.wechat import (
    MAX_TEXT_REPLY_BYTES,
    IncomingMessage,
    ReplyError,
    fit_reply,
    text_reply,
)

if TYPE_CHECKING:  # the stand-in for WeChat comes as a fixture; its class is imported for annotations only
    from wechat_peer import FakeWeChat

REPLY_TIME = 1_700_000_002
REPLY_NONCE = "987654321"
TRICKY = "建议：多喝水，休息。若胸痛]]>持续，请拨打120。<b>&amp;</b> ]]]]> ]]>"


@pytest.fixture
def incoming(wechat: FakeWeChat) -> IncomingMessage:
    return wechat.plain(wechat.text_xml("我头痛")).parse(wechat.config(safe=False))


def read_as_wechat(wechat: FakeWeChat, reply: bytes, *, safe: bool) -> str:
    """The reply's plaintext XML as WeChat obtains it: in safe mode, signature checked, then decrypted."""
    if not safe:
        return reply.decode()
    envelope = ET.fromstring(reply)
    signature, timestamp, nonce = (envelope.findtext(name) for name in ("MsgSignature", "TimeStamp", "Nonce"))
    return str(wechat.peer().decrypt_message(reply.decode(), signature, timestamp, nonce))


@pytest.mark.parametrize("safe", [False, True], ids=["plain mode", "safe mode"])
@pytest.mark.parametrize("content", ["Hello", "你好，请问哪里不舒服？", TRICKY, "a]]>b", "]]>", "🙂\n第二行\t第三行"])
def test_a_text_reply_reads_back_as_the_same_text_addressed_to_the_sender(
    wechat: FakeWeChat, incoming: IncomingMessage, safe: bool, content: str
) -> None:
    reply = text_reply(wechat.config(safe=safe), incoming, content, REPLY_TIME, REPLY_NONCE)
    plaintext = read_as_wechat(wechat, reply, safe=safe)

    as_message = peer_parse(plaintext)
    assert as_message.type == "text"
    assert as_message.content == content
    assert as_message.source == wechat.account  # FromUserName: the account answers...
    assert as_message.target == wechat.openid  # ...to the user who wrote
    assert as_message.time == REPLY_TIME
    as_reply = deserialize_reply(plaintext)
    assert isinstance(as_reply, TextReply)
    assert as_reply.content == content


def test_a_safe_mode_reply_is_an_envelope_with_only_the_ciphertext_and_its_signature(
    wechat: FakeWeChat, incoming: IncomingMessage
) -> None:
    reply = text_reply(wechat.config(safe=True), incoming, "你好", REPLY_TIME, REPLY_NONCE)
    envelope = ET.fromstring(reply)
    assert [child.tag for child in envelope] == ["Encrypt", "MsgSignature", "TimeStamp", "Nonce"]
    assert envelope.findtext("TimeStamp") == str(REPLY_TIME)
    assert envelope.findtext("Nonce") == REPLY_NONCE
    assert "你好".encode() not in reply
    assert envelope.findtext("MsgSignature") == wechat.signature(
        str(REPLY_TIME), REPLY_NONCE, envelope.findtext("Encrypt") or ""
    )


def test_two_safe_mode_replies_with_the_same_text_differ_by_their_random_prefix(
    wechat: FakeWeChat, incoming: IncomingMessage
) -> None:
    config = wechat.config(safe=True)
    first, second = (text_reply(config, incoming, "同样的回答", REPLY_TIME, REPLY_NONCE) for _ in range(2))
    assert first != second
    assert read_as_wechat(wechat, first, safe=True) == read_as_wechat(wechat, second, safe=True)


def test_a_reply_at_exactly_the_byte_limit_is_accepted(wechat: FakeWeChat, incoming: IncomingMessage) -> None:
    content = "痛" * (MAX_TEXT_REPLY_BYTES // 3) + "ab"  # 682 * 3 + 2 = 2048 bytes
    assert len(content.encode()) == MAX_TEXT_REPLY_BYTES
    reply = text_reply(wechat.config(safe=False), incoming, content, REPLY_TIME, REPLY_NONCE)
    assert peer_parse(reply.decode()).content == content


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("痛" * 683, "2049 bytes of UTF-8"),
        ("", "empty"),
        ("bell\x07", "U\\+0007 at 4"),
        ("nul\x00", "U\\+0000"),
        ("half a pair \ud83d", "U\\+D83D"),
        ("\ufffe", "U\\+FFFE"),
    ],
)
def test_a_reply_wechat_could_not_carry_is_refused_saying_why(
    wechat: FakeWeChat, incoming: IncomingMessage, content: str, named: str
) -> None:
    with pytest.raises(ReplyError, match=named):
        text_reply(wechat.config(safe=False), incoming, content, REPLY_TIME, REPLY_NONCE)


@pytest.mark.parametrize(("timestamp", "nonce"), [(-1, "123"), (REPLY_TIME, ""), (REPLY_TIME, "a]]>b"), (0, "x" * 65)])
def test_a_reply_with_a_bad_timestamp_or_nonce_is_refused(
    wechat: FakeWeChat, incoming: IncomingMessage, timestamp: int, nonce: str
) -> None:
    with pytest.raises(ReplyError, match="timestamp >= 0 and a nonce"):
        text_reply(wechat.config(safe=True), incoming, "hi", timestamp, nonce)


# --- fitting a long answer into one reply -------------------------------------------------------------------------


def test_a_text_within_the_limit_is_left_alone() -> None:
    assert fit_reply("短的回答") == "短的回答"
    exact = "x" * MAX_TEXT_REPLY_BYTES
    assert fit_reply(exact) == exact


def test_a_long_ascii_text_is_cut_to_the_limit_and_ends_with_an_ellipsis() -> None:
    fitted = fit_reply("x" * 5000)
    assert fitted == "x" * (MAX_TEXT_REPLY_BYTES - 3) + "…"
    assert len(fitted.encode()) == MAX_TEXT_REPLY_BYTES


def test_a_long_chinese_text_is_cut_between_characters_never_inside_one() -> None:
    fitted = fit_reply("头痛发烧" * 400)  # 4800 bytes
    assert fitted.endswith("…")
    assert len(fitted.encode()) <= MAX_TEXT_REPLY_BYTES
    assert ("头痛发烧" * 400).startswith(fitted.removesuffix("…"))
    assert len(fitted.encode()) > MAX_TEXT_REPLY_BYTES - 3 - 3  # no more than one character's worth lost


def test_whitespace_left_at_the_cut_is_dropped_before_the_ellipsis() -> None:
    assert fit_reply("word " * 10, limit=13) == "word word…"


def test_a_limit_too_small_for_the_ellipsis_is_refused() -> None:
    with pytest.raises(ReplyError, match="room for the ellipsis"):
        fit_reply("too long", limit=2)


def test_a_fitted_text_is_accepted_as_a_reply(wechat: FakeWeChat, incoming: IncomingMessage) -> None:
    content = fit_reply("请尽快就医。" * 1000)
    reply = text_reply(wechat.config(safe=True), incoming, content, REPLY_TIME, REPLY_NONCE)
    assert peer_parse(read_as_wechat(wechat, reply, safe=True)).content == content


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(), limit=st.integers(min_value=3, max_value=64))
def test_a_fitted_text_never_exceeds_the_limit_and_is_the_original_or_a_prefix_of_it(text: str, limit: int) -> None:
    fitted = fit_reply(text, limit)
    assert len(fitted.encode("utf-8", "surrogatepass")) <= limit
    assert fitted == text or (fitted.endswith("…") and text.startswith(fitted.removesuffix("…")))
