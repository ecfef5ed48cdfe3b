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

import logging
import secrets
import time
from dataclasses import dataclass

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from symptomcheck.bootstrap import Container
from symptomcheck.channels.wechat.errors import (
    BadSignatureError,
    StaleTimestampError,
    TooLargeError,
    WeChatProtocolError,
    WrongAppIdError,
)
from symptomcheck.channels.wechat.protocol import (
    IncomingMessage,
    WeChatConfig,
    fit_reply,
    parse_message,
    text_reply,
    verify_url,
)
from symptomcheck.config import Settings
from symptomcheck.services.wechat import WeChatService, hash_openid, openid_key

log = logging.getLogger("symptomcheck.wechat")
router = APIRouter(prefix="/wechat", tags=["wechat"], include_in_schema=False)
NOT_CONFIGURED = "the WeChat channel is not configured (set SYMPTOMCHECK_WECHAT_TOKEN to enable it)"
SLOW_SECONDS = 4.0  # WeChat gives up on a reply after 5 s


@dataclass(frozen=True)
class WeChatChannel:
    config: WeChatConfig
    openid_key: bytes
    service: WeChatService

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
    return WeChatChannel(config, openid_key(token), service)


def install(app: FastAPI) -> None:
    """Add ``/wechat`` to the app, checking the WeChat settings now so that a typo fails at start-up."""
    container: Container = app.state.container
    app.state.wechat = channel_for(container.settings, container.wechat)
    app.include_router(router)


def _channel(request: Request) -> WeChatChannel:
    channel: WeChatChannel | None = request.app.state.wechat
    if channel is None:
        raise HTTPException(404, NOT_CONFIGURED)
    return channel


def _refusal(error: WeChatProtocolError) -> HTTPException:
    if isinstance(error, TooLargeError):
        status = 413
    elif isinstance(error, BadSignatureError | StaleTimestampError | WrongAppIdError):
        status = 403  # not from WeChat, replayed, or meant for another account
    else:
        status = 400
    return HTTPException(status, f"refused by the WeChat webhook: {error}")


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
        raise HTTPException(403, "refused by the WeChat webhook: the signature, timestamp and nonce are required")
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
    reply = await run_in_threadpool(channel.answer, incoming)
    elapsed = time.monotonic() - started
    if elapsed > SLOW_SECONDS:
        log.warning("slow WeChat reply", extra={"seconds": round(elapsed, 2), "msg_type": incoming.msg_type})
    if reply is None:
        return PlainTextResponse("success")
    nonce_out = str(secrets.randbelow(10**10))
    content = text_reply(channel.config, incoming, fit_reply(reply), int(time.time()), nonce_out)
    return Response(content, media_type="application/xml")
