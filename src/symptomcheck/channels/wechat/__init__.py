"""WeChat Official Account (公众号) channel: the platform's message protocol, with no consultation logic.

``parse_message`` turns a signed (and, in safe mode, encrypted) POST into an ``IncomingMessage``;
``text_reply`` turns an answer into the body WeChat expects back; ``verify_url`` answers the GET WeChat
sends when the server URL is configured. Any refusal is a ``WeChatProtocolError``.
"""

from symptomcheck.channels.wechat.errors import (
    BadSignatureError,
    ConfigError,
    DecryptionError,
    MalformedMessageError,
    ReplyError,
    StaleTimestampError,
    TooLargeError,
    WeChatProtocolError,
    WrongAppIdError,
)
from symptomcheck.channels.wechat.protocol import (
    DEFAULT_MAX_AGE_SECONDS,
    MAX_BODY_BYTES,
    MAX_TEXT_REPLY_BYTES,
    IncomingMessage,
    WeChatConfig,
    fit_reply,
    parse_message,
    text_reply,
    verify_url,
)

__all__ = [
    "DEFAULT_MAX_AGE_SECONDS",
    "MAX_BODY_BYTES",
    "MAX_TEXT_REPLY_BYTES",
    "BadSignatureError",
    "ConfigError",
    "DecryptionError",
    "IncomingMessage",
    "MalformedMessageError",
    "ReplyError",
    "StaleTimestampError",
    "TooLargeError",
    "WeChatConfig",
    "WeChatProtocolError",
    "WrongAppIdError",
    "fit_reply",
    "parse_message",
    "text_reply",
    "verify_url",
]
