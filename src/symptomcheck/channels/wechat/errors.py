"""Every way a WeChat request or reply can be refused, as one family of exceptions.

A web handler catches ``WeChatProtocolError`` alone and answers with an error status: no other exception
escapes the protocol functions, so a hostile request can never turn into a server error with a traceback.
"""

from __future__ import annotations


class WeChatProtocolError(ValueError):
    """A request, a reply or a configuration does not follow the WeChat Official Account protocol."""


class ConfigError(WeChatProtocolError):
    """The account's settings (token, AppID, EncodingAESKey) are not in the form WeChat issues them."""


class BadSignatureError(WeChatProtocolError):
    """The request is not signed with the account's token: it did not come from WeChat, or was altered."""


class StaleTimestampError(WeChatProtocolError):
    """The request's timestamp is too far from now: a replayed (or badly clocked) request."""


class TooLargeError(WeChatProtocolError):
    """The request body is larger than any message WeChat sends."""


class MalformedMessageError(WeChatProtocolError):
    """The request or its XML body is not shaped as the protocol says (or uses forbidden XML features)."""


class DecryptionError(WeChatProtocolError):
    """A safe-mode ciphertext cannot be decrypted into a well-formed plaintext."""


class WrongAppIdError(DecryptionError):
    """The ciphertext decrypts, but was made for another account's AppID."""


class ReplyError(WeChatProtocolError):
    """A reply cannot be built: its text is too long or has characters XML cannot carry, or a bad nonce."""
