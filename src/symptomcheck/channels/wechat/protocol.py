"""The WeChat Official Account message protocol: URL verification, signed (and encrypted) messages, replies.

Everything here is a pure function of its arguments (the clock and the random source aside), so a web
handler stays a thin adapter: it passes the query parameters and the raw body in, and writes the bytes
that come back. Every refusal is a ``WeChatProtocolError`` whose message says what was wrong.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import cast
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring as _defused_fromstring  # type: ignore[import-untyped]

from symptomcheck.channels.wechat import crypto
from symptomcheck.channels.wechat.errors import (
    BadSignatureError,
    ConfigError,
    MalformedMessageError,
    ReplyError,
    StaleTimestampError,
    TooLargeError,
)

MAX_BODY_BYTES = 64 * 1024  # WeChat's largest pushes (compatibility mode, about 3x a message) are far smaller
MAX_TEXT_REPLY_BYTES = 2048  # WeChat's limit on a passive text reply's Content, in UTF-8 bytes
DEFAULT_MAX_AGE_SECONDS = 300
ELLIPSIS = "…"

_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
_APP_ID = re.compile(r"wx[0-9a-f]{16}")
_DIGITS = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9]{1,64}")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_REQUIRED = ("ToUserName", "FromUserName", "CreateTime", "MsgType")


@dataclass(frozen=True, slots=True)
class WeChatConfig:
    """One account's server settings, checked once so that a typo fails at start-up, not on a message.

    Safe mode (encrypted messages) is on when ``aes_key`` is set; it then needs ``app_id``, which every
    ciphertext names. The secrets are kept out of ``repr`` so they do not end up in logs.
    """

    token: str = field(repr=False)
    app_id: str | None = None
    aes_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.token):
            raise ConfigError("token must be the account's server Token: 3 to 32 letters A-Z, a-z or digits 0-9")
        if self.app_id is not None and not _APP_ID.fullmatch(self.app_id):
            raise ConfigError(
                f"app_id must be the account's AppID: 'wx' then 16 lowercase hexadecimal digits, got {self.app_id!r}"
            )
        if self.aes_key is not None:
            crypto.aes_key_bytes(self.aes_key)
            if self.app_id is None:
                raise ConfigError("safe mode (aes_key set) needs app_id: every encrypted message names its AppID")

    @property
    def safe_mode(self) -> bool:
        """Whether messages travel encrypted (WeChat's "safe mode", 安全模式)."""
        return self.aes_key is not None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message or event a user sent to the account, as WeChat pushed it.

    ``content`` is set for text messages, ``event`` (lower-cased, e.g. "subscribe", "click") for events;
    ``raw`` holds every top-level element's text, for the message types this class does not spell out.
    """

    to_user: str  # the account's original ID (gh_...)
    from_user: str  # the sender's OpenID
    create_time: int
    msg_type: str
    msg_id: str | None
    content: str | None
    event: str | None
    raw: Mapping[str, str] = field(hash=False)


def verify_url(config: WeChatConfig, signature: str, timestamp: str, nonce: str, echostr: str) -> str:
    """The ``echostr`` to answer WeChat's GET when the server URL is configured, once the signature holds.

    An Official Account signs this request over the token, timestamp and nonce in every mode, and expects
    ``echostr`` back unchanged (an encrypted echostr signed with msg_signature belongs to WeCom, not here).
    """
    _check_signature(crypto.signature(config.token, timestamp, nonce), signature, "signature")
    return echostr


def parse_message(
    config: WeChatConfig,
    body: bytes,
    signature: str,
    timestamp: str,
    nonce: str,
    msg_signature: str | None = None,
    encrypt_type: str | None = None,
    now: float | None = None,
    max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> IncomingMessage:
    """The message in a POST from WeChat, after checking it is WeChat's, recent, and well-formed.

    The query parameters come as WeChat sent them. In plain mode ``signature`` authenticates the request;
    in safe mode ``msg_signature`` does, as it also covers the ciphertext (``signature`` is then unused).
    """
    if len(body) > max_body_bytes:
        raise TooLargeError(f"the body is {len(body)} bytes; at most {max_body_bytes} are accepted")
    _check_timestamp(timestamp, time.time() if now is None else now, max_age_seconds)
    if not config.safe_mode:
        if encrypt_type not in (None, "", "raw"):
            raise MalformedMessageError(
                f"encrypt_type={encrypt_type!r} but no aes_key is configured: set the EncodingAESKey, or switch "
                "the account to plain mode (明文模式)"
            )
        _check_signature(crypto.signature(config.token, timestamp, nonce), signature, "signature")
        return _message(_parse_xml(body, "the body"))
    if encrypt_type != "aes" or msg_signature is None:
        raise MalformedMessageError(
            "safe mode is configured, so encrypt_type=aes and msg_signature are required: an unencrypted "
            "message would not be authenticated by the ciphertext signature"
        )
    encrypted = _parse_xml(body, "the body").get("Encrypt")
    if not encrypted:
        raise MalformedMessageError("the body has no <Encrypt> element, which safe mode requires")
    _check_signature(crypto.signature(config.token, timestamp, nonce, encrypted), msg_signature, "msg_signature")
    key, app_id = crypto.aes_key_bytes(cast(str, config.aes_key)), cast(str, config.app_id)
    return _message(_parse_xml(crypto.decrypt(key, encrypted, app_id), "the decrypted message"))


def text_reply(config: WeChatConfig, incoming: IncomingMessage, content: str, timestamp: int, nonce: str) -> bytes:
    """The HTTP body answering ``incoming`` with ``content`` as a passive text reply (encrypted in safe mode).

    ``content`` must fit WeChat's 2048-byte limit: pass it through ``fit_reply`` first, since silently cutting
    advice short is the caller's decision to make, not this function's.
    """
    if not content:
        raise ReplyError("the reply text is empty: answer with an empty body (or 'success') to reply nothing")
    bad = _NOT_XML_CHAR.search(content)
    if bad:
        raise ReplyError(f"the reply text holds U+{ord(bad.group()):04X} at {bad.start()}, which XML cannot carry")
    size = len(content.encode("utf-8"))
    if size > MAX_TEXT_REPLY_BYTES:
        raise ReplyError(f"the reply text is {size} bytes of UTF-8; WeChat accepts {MAX_TEXT_REPLY_BYTES} (fit_reply)")
    if timestamp < 0 or not _NONCE.fullmatch(nonce):
        raise ReplyError("the reply needs a timestamp >= 0 and a nonce of 1 to 64 letters or digits")
    plain = (
        f"<xml><ToUserName>{_cdata(incoming.from_user)}</ToUserName>"
        f"<FromUserName>{_cdata(incoming.to_user)}</FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )
    if not config.safe_mode:
        return plain.encode("utf-8")
    key, app_id = crypto.aes_key_bytes(cast(str, config.aes_key)), cast(str, config.app_id)
    encrypted = crypto.encrypt(key, plain.encode("utf-8"), app_id, os.urandom(crypto.PREFIX_BYTES))
    signed = crypto.signature(config.token, str(timestamp), nonce, encrypted)
    return (
        f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{signed}]]></MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
    ).encode()


def fit_reply(text: str, limit: int = MAX_TEXT_REPLY_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, on a character boundary, ending with "…" if it was cut."""
    if _utf8_length(text) <= limit:
        return text
    budget = limit - _utf8_length(ELLIPSIS)
    if budget < 0:
        raise ReplyError(f"limit must leave room for the ellipsis ({_utf8_length(ELLIPSIS)} bytes), got {limit}")
    kept: list[str] = []
    for character in text:
        budget -= _utf8_length(character)
        if budget < 0:
            break
        kept.append(character)
    return "".join(kept).rstrip() + ELLIPSIS


def _utf8_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _cdata(text: str) -> str:
    """``text`` as CDATA; a "]]>" inside would end the section early, so it is split across two sections."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _check_signature(expected: str, given: str, name: str) -> None:
    if not crypto.signature_matches(expected, given):
        raise BadSignatureError(f"{name} does not match the token: the request did not come from WeChat or was altered")


def _check_timestamp(timestamp: str, now: float, max_age_seconds: float) -> None:
    if not _DIGITS.fullmatch(timestamp):
        raise MalformedMessageError(f"timestamp must be Unix seconds in ASCII digits, got {timestamp[:20]!r}")
    drift = now - int(timestamp)
    if not abs(drift) <= max_age_seconds:  # written so that a NaN clock refuses rather than accepts
        where = "in the past" if drift > 0 else "in the future"
        raise StaleTimestampError(
            f"timestamp {timestamp} is {abs(drift):.0f} s {where}; at most {max_age_seconds:g} s is accepted "
            "(a replayed request, or a server clock that needs NTP)"
        )


def _parse_xml(data: bytes, what: str) -> dict[str, str]:
    """The top-level elements' texts of a WeChat ``<xml>`` document, parsed with DTDs and entities refused."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedMessageError(f"{what} is not UTF-8 (invalid byte at offset {error.start})") from None
    try:
        root = cast(Element, _defused_fromstring(text, forbid_dtd=True))
    except DefusedXmlException as error:
        raise MalformedMessageError(
            f"{what} uses a DTD, entity or external reference ({type(error).__name__}), which WeChat never sends"
        ) from None
    except (ParseError, ValueError) as error:
        raise MalformedMessageError(f"{what} is not well-formed XML: {error}") from None
    if root.tag != "xml":
        raise MalformedMessageError(f"{what} must have <xml> as its root element, not <{root.tag[:40]}>")
    fields: dict[str, str] = {}
    for child in root:
        if child.tag in fields:
            raise MalformedMessageError(f"{what} has <{child.tag[:40]}> twice, so its meaning is ambiguous")
        fields[child.tag] = "" if len(child) else (child.text or "")
    return fields


def _message(fields: dict[str, str]) -> IncomingMessage:
    missing = [name for name in _REQUIRED if not fields.get(name)]
    if missing:
        raise MalformedMessageError(f"the message lacks {', '.join(missing)}")
    if not _DIGITS.fullmatch(fields["CreateTime"]):
        raise MalformedMessageError(f"CreateTime must be Unix seconds in digits, got {fields['CreateTime'][:20]!r}")
    msg_type = fields["MsgType"]
    event = fields.get("Event")
    return IncomingMessage(
        to_user=fields["ToUserName"],
        from_user=fields["FromUserName"],
        create_time=int(fields["CreateTime"]),
        msg_type=msg_type,
        msg_id=fields.get("MsgId") or fields.get("MsgID") or None,
        content=fields.get("Content") if msg_type == "text" else None,
        event=event.lower() if msg_type == "event" and event else None,
        raw=MappingProxyType(fields),
    )
