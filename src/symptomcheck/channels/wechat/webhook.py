"""The WeChat Official Account webhook, ``/wechat``: the HTTP adapter between WeChat's servers and the use case.

GET is the URL verification WeChat sends when the server address is saved; POST is a message or an event.
Every POST is checked (signature, timestamp window, size, XML shape; in safe mode the ciphertext's signature
and its AppID) by the protocol layer before anything else: a refused request is answered with a 4xx problem
and touches no conversation and no consultation. A text message gets a passive text reply, encrypted in
safe mode; where no reply is due (an unsubscription, a menu click), the body is "success", as WeChat asks.

Only a keyed hash of the sender's OpenID goes past this module (see ``services.wechat.openid_key``).

WeChat waits 5 s for the reply and then retries the same message, up to three times. Replies normally take
milliseconds; if one ever takes longer, the retry finds the reply stored by the first processing (or waits
for it, as messages of one person are processed one at a time), so the person still gets it, once.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse

from symptomcheck.bootstrap import Container
from symptomcheck.channels.wechat.errors import (
    BadSignatureError,
    StaleTimestampError,
    TooLargeError,
    WeChatProtocolError,
    WrongAppIdError,
)
from symptomcheck.channels.wechat.protocol import (
    DEFAULT_MAX_AGE_SECONDS,
    IncomingMessage,
    WeChatConfig,
    fit_reply,
    parse_message,
    text_reply,
    verify_url,
)
from symptomcheck.config import Settings
from symptomcheck.services.wechat import WeChatService, hash_openid, legacy_openid_key, openid_key

log = logging.getLogger("symptomcheck.wechat")
router = APIRouter(prefix="/wechat", tags=["wechat"], include_in_schema=False)
NOT_CONFIGURED = "the WeChat channel is not configured (set SYMPTOMCHECK_WECHAT_TOKEN to enable it)"
SLOW_SECONDS = 4.0  # WeChat gives up on a reply after 5 s


class SignatureLedger:
    """In plain mode the signature covers the token, timestamp and nonce but not the body, so a signed URL seen
    once (in a proxy's log, say) could carry any body within the replay window. The ledger remembers, for that
    window, which body each signature came with, and refuses the same signature with another body (the same
    body again is WeChat's own retry). It lives in the process: each instance guards the pushes it receives.
    """

    def __init__(self, window_seconds: float = DEFAULT_MAX_AGE_SECONDS, max_entries: int = 100_000) -> None:
        self.window = window_seconds
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str, str], tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, signature: str, timestamp: str, nonce: str, body: bytes, now: float) -> bool:
        digest = hashlib.sha256(body).digest()
        key = (signature, timestamp, nonce)
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values()))[1] < now - self.window or len(self._seen) > self.max_entries
            ):
                self._seen.popitem(last=False)
            seen = self._seen.get(key)
            if seen is not None:
                return seen[0] == digest
            self._seen[key] = (digest, now)
            return True


@dataclass(frozen=True)
class WeChatChannel:
    config: WeChatConfig
    openid_key: bytes
    service: WeChatService
    ledger: SignatureLedger = field(default_factory=SignatureLedger)
    # threads of the channel's own: WeChat waits 5 s for a reply, so its messages must not queue behind the
    # REST API's requests on the shared pool (bounded separately in api.app)
    threads: int = 8

    def answer(self, incoming: IncomingMessage) -> str | None:
        """The reply text to a message or event, or None when no reply is due."""
        who = hash_openid(self.openid_key, incoming.from_user)
        if incoming.msg_type == "text":
            return self.service.reply_to_text(who, incoming.msg_id, incoming.content or "")
        if incoming.msg_type == "voice" and incoming.raw.get("Recognition"):
            # WeChat's speech recognition (when the account turns it on) turns a voice note into text
            return self.service.reply_to_text(who, incoming.msg_id, incoming.raw["Recognition"])
        if incoming.msg_type == "event":
            key = f"event:{incoming.event}:{incoming.create_time}"[:64]  # events have no MsgId
            if incoming.event == "subscribe":
                return self.service.reply_to_subscribe(who, key)
            if incoming.event == "unsubscribe":
                self.service.forget(who)
            return None  # unsubscribe, menu clicks, location reports...: nothing to say
        return self.service.reply_to_unsupported(who, incoming.msg_id)


def channel_for(settings: Settings, service: WeChatService) -> WeChatChannel | None:
    """The channel for the settings, or None when no token is set; a setting WeChat would not issue raises."""
    if settings.wechat_token is None:
        return None
    token = settings.wechat_token.get_secret_value()
    aes_key = settings.wechat_aes_key.get_secret_value() if settings.wechat_aes_key is not None else None
    config = WeChatConfig(token=token, app_id=settings.wechat_app_id or None, aes_key=aes_key or None)
    return WeChatChannel(config, openid_hash_key(settings), service, threads=settings.wechat_threads)


def openid_hash_key(settings: Settings) -> bytes:
    """The OpenID hash key: from its own secret when one is set, else from the Token (the earlier scheme)."""
    if settings.wechat_openid_secret is not None:
        return openid_key(settings.wechat_openid_secret.get_secret_value())
    assert settings.wechat_token is not None
    log.warning(
        "SYMPTOMCHECK_WECHAT_OPENID_SECRET is not set: the OpenID hash key is derived from the WeChat Token; "
        "set a secret of its own (see docs/wechat.md)"
    )
    return legacy_openid_key(settings.wechat_token.get_secret_value())


def install(app: FastAPI) -> None:
    """Add ``/wechat`` to the app, checking the WeChat settings now so that a typo fails at start-up."""
    container: Container = app.state.container
    app.state.wechat = channel_for(container.settings, container.wechat)
    app.state.wechat_limiter = None  # made in the event loop, at the first message (a limiter belongs to a loop)
    app.include_router(router)


def _limiter(request: Request, channel: WeChatChannel) -> anyio.CapacityLimiter:
    limiter: anyio.CapacityLimiter | None = request.app.state.wechat_limiter
    if limiter is None:
        limiter = request.app.state.wechat_limiter = anyio.CapacityLimiter(channel.threads)
    return limiter


def _channel(request: Request) -> WeChatChannel:
    channel: WeChatChannel | None = request.app.state.wechat
    if channel is None:
        raise WeChatRefusal(404, "WeChat channel not configured", NOT_CONFIGURED)
    return channel


class WeChatRefusal(HTTPException):
    """A refused push, with a problem title of its own: a 403 here is a signature, never an API key."""

    def __init__(self, status_code: int, title: str, detail: str) -> None:
        super().__init__(status_code, detail)
        self.title = title


def _refusal(error: WeChatProtocolError) -> WeChatRefusal:
    detail = f"refused by the WeChat webhook: {error}"
    if isinstance(error, TooLargeError):
        return WeChatRefusal(413, "Message too large", detail)
    if isinstance(error, BadSignatureError):
        return WeChatRefusal(403, "Signature not accepted", detail)  # not from WeChat
    if isinstance(error, StaleTimestampError):
        return WeChatRefusal(403, "Timestamp outside the replay window", detail)  # replayed
    if isinstance(error, WrongAppIdError):
        return WeChatRefusal(403, "Message for another account", detail)
    return WeChatRefusal(400, "Message not understood", detail)


@router.get("", response_class=PlainTextResponse)
def verify(request: Request, signature: str = "", timestamp: str = "", nonce: str = "", echostr: str = "") -> str:
    """WeChat's URL verification: echo ``echostr`` back when the signature holds."""
    channel = _channel(request)
    try:
        return verify_url(channel.config, signature, timestamp, nonce, echostr)
    except WeChatProtocolError as error:
        raise _refusal(error) from None


@router.post("")
async def receive(request: Request) -> Response:
    """A message or event pushed by WeChat: the passive reply, or "success" when there is none."""
    started = time.monotonic()
    channel = _channel(request)
    params = request.query_params
    signature, timestamp, nonce = params.get("signature"), params.get("timestamp"), params.get("nonce")
    if not (signature and timestamp and nonce):
        raise WeChatRefusal(
            403,
            "Signature not accepted",
            "refused by the WeChat webhook: the signature, timestamp and nonce are required",
        )
    body = await request.body()
    try:
        incoming = parse_message(
            channel.config,
            body,
            signature,
            timestamp,
            nonce,
            msg_signature=params.get("msg_signature"),
            encrypt_type=params.get("encrypt_type"),
        )
    except WeChatProtocolError as error:
        raise _refusal(error) from None
    if not channel.config.safe_mode and not channel.ledger.admit(signature, timestamp, nonce, body, time.time()):
        raise WeChatRefusal(
            403,
            "Signature not accepted",
            "refused by the WeChat webhook: this signature was already used with another message",
        )
    reply = await anyio.to_thread.run_sync(channel.answer, incoming, limiter=_limiter(request, channel))
    elapsed = time.monotonic() - started
    if elapsed > SLOW_SECONDS:
        log.warning("slow WeChat reply", extra={"seconds": round(elapsed, 2), "msg_type": incoming.msg_type})
    if reply is None:
        return PlainTextResponse("success")
    nonce_out = str(secrets.randbelow(10**10))
    content = text_reply(channel.config, incoming, fit_reply(reply), int(time.time()), nonce_out)
    return Response(content, media_type="application/xml")
