"""WeChat in safe mode (安全模式): encrypted pushes from an independent peer (wechatpy), decrypted or refused.

In safe mode the ciphertext is the message's only authentication besides msg_signature, so the tests
tamper with each part in turn: the signature, the ciphertext, the key and the AppID inside it.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from symptomcheck.channels.wechat import (
    BadSignatureError,
    DecryptionError,
    MalformedMessageError,
    StaleTimestampError,
    WeChatConfig,
    WrongAppIdError,
)
from symptomcheck.channels.wechat.crypto import aes_key_bytes, encrypt

if TYPE_CHECKING:  # the stand-in for WeChat comes as a fixture; its class is imported for annotations only
    from wechat_peer import FakeWeChat


def test_an_encrypted_text_message_is_decrypted_and_parsed(wechat: FakeWeChat) -> None:
    message = wechat.encrypted(wechat.text_xml("我胸口痛，喘不上气")).parse(wechat.config(safe=True))
    assert message.from_user == wechat.openid
    assert message.to_user == wechat.account
    assert message.msg_type == "text"
    assert message.content == "我胸口痛，喘不上气"
    assert message.msg_id == "23637352235060880"


def test_an_encrypted_subscribe_event_is_parsed_with_its_event(wechat: FakeWeChat) -> None:
    message = wechat.encrypted(wechat.message_xml("event", Event="subscribe")).parse(wechat.config(safe=True))
    assert (message.msg_type, message.event, message.msg_id) == ("event", "subscribe", None)


def test_a_compatibility_mode_push_is_read_from_its_ciphertext_not_its_unsigned_plain_copy(wechat: FakeWeChat) -> None:
    push = wechat.encrypted(wechat.text_xml("the real message"))
    encrypted = push.body[push.body.index(b"<Encrypt>") : push.body.index(b"</xml>")]
    push.body = wechat.text_xml("a forged plain copy").encode().replace(b"</xml>", encrypted + b"</xml>")
    assert push.parse(wechat.config(safe=True)).content == "the real message"


def test_a_tampered_msg_signature_is_refused(wechat: FakeWeChat) -> None:
    with pytest.raises(BadSignatureError, match="msg_signature does not match"):
        wechat.encrypted(wechat.text_xml("hello")).parse(wechat.config(safe=True), msg_signature="0" * 40)


def test_a_valid_plain_signature_does_not_stand_in_for_msg_signature(wechat: FakeWeChat) -> None:
    push = wechat.encrypted(wechat.text_xml("hello"))
    with pytest.raises(BadSignatureError):
        push.parse(wechat.config(safe=True), msg_signature=push.params["signature"])


def test_a_ciphertext_swapped_after_signing_is_refused(wechat: FakeWeChat) -> None:
    original, other = wechat.encrypted(wechat.text_xml("hello")), wechat.encrypted(wechat.text_xml("goodbye"))
    with pytest.raises(BadSignatureError):
        other.parse(wechat.config(safe=True), msg_signature=original.params["msg_signature"])


def test_a_message_encrypted_for_another_app_id_is_refused(wechat: FakeWeChat) -> None:
    other_account = wechat.other(app_id="wx0000000000000000")
    with pytest.raises(WrongAppIdError, match=f"another AppID than {wechat.app_id}"):
        other_account.encrypted(wechat.text_xml("hello")).parse(wechat.config(safe=True))


def test_a_message_encrypted_with_another_key_but_signed_with_our_token_is_refused(wechat: FakeWeChat) -> None:
    other_key = wechat.other(aes_key="Z" * 43)
    with pytest.raises(DecryptionError):
        other_key.encrypted(wechat.text_xml("hello")).parse(wechat.config(safe=True))


@pytest.mark.parametrize(
    ("ciphertext", "named"),
    [
        ("not base64!", "not valid base64"),
        ("密文", "not valid base64"),
        (base64.b64encode(b"short").decode(), "not a whole number of 16-byte AES blocks"),
        ("", "no <Encrypt> element"),
    ],
)
def test_a_signed_ciphertext_that_cannot_be_decrypted_is_refused_saying_why(
    wechat: FakeWeChat, ciphertext: str, named: str
) -> None:
    push = wechat.wrap(ciphertext, wechat.signature(str(wechat.now), wechat.nonce, ciphertext))
    with pytest.raises((DecryptionError, MalformedMessageError), match=named):
        push.parse(wechat.config(safe=True))


@pytest.mark.parametrize(
    ("inner", "named"),
    [
        (b"\xff\xfe not utf-8", "decrypted message is not UTF-8"),
        (b"<xml><MsgType>text</MsgType>", "decrypted message is not well-formed"),
        (b'<!DOCTYPE xml [<!ENTITY a "b">]><xml>&a;</xml>', "DTD, entity or external reference"),
    ],
)
def test_a_signed_ciphertext_hiding_a_bad_message_is_refused(wechat: FakeWeChat, inner: bytes, named: str) -> None:
    with pytest.raises(MalformedMessageError, match=named):
        wechat.encrypted(inner).parse(wechat.config(safe=True))


def test_bad_padding_inside_a_signed_ciphertext_is_refused(wechat: FakeWeChat) -> None:
    key = aes_key_bytes(wechat.aes_key)
    ciphertext = base64.b64decode(encrypt(key, b"<xml/>", wechat.app_id, bytes(16)))
    corrupted = base64.b64encode(ciphertext[:-1] + bytes([ciphertext[-1] ^ 1])).decode()
    push = wechat.wrap(corrupted, wechat.signature(str(wechat.now), wechat.nonce, corrupted))
    with pytest.raises(DecryptionError, match="padding"):
        push.parse(wechat.config(safe=True))


def test_a_safe_account_refuses_a_push_without_encryption(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    with pytest.raises(MalformedMessageError, match="encrypt_type=aes and msg_signature are required"):
        push.parse(wechat.config(safe=True))


def test_a_safe_account_refuses_a_push_missing_its_msg_signature(wechat: FakeWeChat) -> None:
    with pytest.raises(MalformedMessageError, match="msg_signature are required"):
        wechat.encrypted(wechat.text_xml("hello")).parse(wechat.config(safe=True), msg_signature=None)


def test_an_old_encrypted_push_is_refused_as_a_replay(wechat: FakeWeChat) -> None:
    push = wechat.encrypted(wechat.text_xml("hello"), timestamp=wechat.now - 3600)
    with pytest.raises(StaleTimestampError):
        push.parse(wechat.config(safe=True), now=float(wechat.now))


def test_our_own_ciphertext_round_trips_through_the_peer(wechat: FakeWeChat) -> None:
    key = aes_key_bytes(wechat.aes_key)
    ours = encrypt(key, "头痛 <xml> ]]> 🙂".encode(), wechat.app_id, bytes(range(16)))
    decrypted = wechat.peer().decrypt_message(
        f"<xml><Encrypt>{ours}</Encrypt></xml>", wechat.signature("1", "n", ours), "1", "n"
    )
    assert decrypted == "头痛 <xml> ]]> 🙂"


def test_a_config_for_the_same_account_reads_what_the_peer_encrypts(wechat: FakeWeChat) -> None:
    config = WeChatConfig(token=wechat.token, app_id=wechat.app_id, aes_key=wechat.aes_key)
    assert wechat.encrypted(wechat.text_xml("ok")).parse(config).content == "ok"
