"""A stand-in for WeChat's servers, built on wechatpy, so our side of the protocol meets an independent peer.

wechatpy is used in tests only, never by the package: were both sides our own code, a shared misreading of
the protocol would pass unnoticed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from symptomcheck.channels.wechat import IncomingMessage, WeChatConfig, parse_message


@dataclass
class Push:
    """One POST from WeChat: the raw body and the query parameters, as a web handler receives them."""

    body: bytes
    params: dict[str, Any] = field(default_factory=dict)

    def parse(self, config: WeChatConfig, **overrides: Any) -> IncomingMessage:
        """Hand the push to ``parse_message`` at the time it was sent, with any parameter overridden."""
        arguments: dict[str, Any] = {"now": float(self.params["timestamp"]), **self.params, **overrides}
        return parse_message(config, arguments.pop("body", self.body), **arguments)


@dataclass
class FakeWeChat:
    """Signs and encrypts pushes the way WeChat does (through wechatpy), for one account."""

    token: str = "symptomToken2024"
    aes_key: str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    app_id: str = "wx1a2b3c4d5e6f7a8b"
    account: ClassVar[str] = "gh_0123456789ab"
    openid: ClassVar[str] = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    now: ClassVar[int] = 1_700_000_000
    nonce: ClassVar[str] = "1514711492"

    def other(self, **changes: str) -> FakeWeChat:
        """Another account's stand-in, differing from this one only in ``changes``."""
        return replace(self, **changes)

    def config(self, *, safe: bool) -> WeChatConfig:
        if safe:
            return WeChatConfig(token=self.token, app_id=self.app_id, aes_key=self.aes_key)
        return WeChatConfig(token=self.token)

    def signature(self, *parts: str) -> str:
        signer = WeChatSigner()
        signer.add_data(self.token, *parts)
        return str(signer.signature)

    def message_xml(self, msg_type: str, **fields: str) -> str:
        """A message as WeChat pushes it: the account, the sender, a time, a type, then the type's own fields."""
        body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
        return (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName><CreateTime>{self.now}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"
        )

    def text_xml(self, content: str, msg_id: str = "23637352235060880") -> str:
        return self.message_xml("text", Content=content, MsgId=msg_id)

    def plain(self, xml: str | bytes, timestamp: int = now, nonce: str = nonce) -> Push:
        """Plain mode: the body as is, ``signature`` over the token, timestamp and nonce in the URL."""
        body = xml.encode() if isinstance(xml, str) else xml
        params = {"signature": self.signature(str(timestamp), nonce), "timestamp": str(timestamp), "nonce": nonce}
        return Push(body, params)

    def encrypted(self, xml: str | bytes, timestamp: int = now, nonce: str = nonce) -> Push:
        """Safe mode: the body carries the ciphertext, ``msg_signature`` (which covers it) is in the URL."""
        envelope = WeChatCrypto(self.token, self.aes_key, self.app_id).encrypt_message(xml, nonce, str(timestamp))
        root = ET.fromstring(envelope)
        return self.wrap(root.findtext("Encrypt") or "", root.findtext("MsgSignature") or "", timestamp, nonce)

    def wrap(self, encrypted: str, msg_signature: str, timestamp: int = now, nonce: str = nonce) -> Push:
        body = (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        push = self.plain(body, timestamp, nonce)
        push.params.update(msg_signature=msg_signature, encrypt_type="aes")
        return push

    def peer(self) -> WeChatCrypto:
        return WeChatCrypto(self.token, self.aes_key, self.app_id)
