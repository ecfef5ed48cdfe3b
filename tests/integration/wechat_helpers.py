"""WeChat's side of the webhook tests: senders whose pushes wechatpy signs (and encrypts), and servers that can be
stopped and started again on the same database.

wechatpy builds every push and reads every reply, so our webhook meets an independent implementation of the
protocol over real HTTP. The fixtures here are imported by the test modules (no conftest of their own).
"""

from __future__ import annotations

import itertools
import random
import secrets
import string
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from wechatpy import parse_message as wechatpy_parse
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from live_server import ThreadedUvicorn, serve_in_thread
from symptomcheck.bootstrap import Container, build
from symptomcheck.channels.wechat.webhook import openid_hash_key
from symptomcheck.config import Settings
from symptomcheck.engine.answers import AnswerStatus
from symptomcheck.knowledge import EvidenceKind
from symptomcheck.services.wechat import hash_openid
from symptomcheck.services.wechat_repository import Conversation

TOKEN = "symptomToken2024"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1a2b3c4d5e6f7a8b"
ACCOUNT = "gh_0123456789ab"
RESULT_MARK = {"zh": "【评估结果】", "en": "【Result】", "fr": "【Résultat】"}
_msg_ids = itertools.count(random.randrange(10**16, 9 * 10**16))


def wechat_settings(safe: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"wechat_token": TOKEN}
    if safe:
        values.update(wechat_app_id=APP_ID, wechat_aes_key=AES_KEY)
    return values


def new_openid() -> str:
    """An OpenID in WeChat's form: 28 characters of base64url, starting with "o"."""
    return "o" + "".join(secrets.choice(string.ascii_letters + string.digits + "-_") for _ in range(27))


@dataclass
class Reply:
    status: int
    body: bytes
    text: str | None  # the reply's Content, as wechatpy reads it (None: "success", or an error)

    @property
    def success(self) -> bool:
        return self.status == 200 and self.body == b"success"


@dataclass
class Sender:
    """One WeChat user writing to the account: builds the pushes WeChat would send, and reads the replies."""

    url: str
    safe: bool
    http: httpx.Client
    openid: str = field(default_factory=new_openid)

    def message_xml(self, msg_type: str, create_time: int | None = None, **fields: str) -> str:
        body = "".join(f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items())
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"
        )

    def text_xml(self, content: str, msg_id: int | None = None) -> tuple[str, int]:
        msg_id = next(_msg_ids) if msg_id is None else msg_id
        return self.message_xml("text", Content=content, MsgId=str(msg_id)), msg_id

    def push(self, xml: str, timestamp: int | None = None, tamper: bool = False) -> Reply:
        """POST ``xml`` as WeChat would (signed; encrypted in safe mode); ``tamper`` spoils the signature."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = str(random.randrange(10**9, 10**10))
        signer = WeChatSigner()
        signer.add_data(TOKEN, str(timestamp), nonce)
        params = {"signature": signer.signature, "timestamp": str(timestamp), "nonce": nonce, "openid": self.openid}
        body = xml
        if self.safe:
            envelope = WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(xml, nonce, str(timestamp))
            parsed = wechatpy_parse_envelope(envelope)
            params.update(encrypt_type="aes", msg_signature=parsed["MsgSignature"])
            encrypted = parsed["Encrypt"]
            body = (
                f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        if tamper:
            key = "msg_signature" if self.safe else "signature"
            params[key] = ("0" if params[key][0] != "0" else "1") + params[key][1:]
        response = self.http.post(f"{self.url}/wechat", params=params, content=body.encode())
        return Reply(response.status_code, response.content, self._content(response, timestamp))

    def _content(self, response: httpx.Response, timestamp: int) -> str | None:
        if response.status_code != 200 or response.content in (b"", b"success"):
            return None
        xml = response.text
        if self.safe:
            envelope = wechatpy_parse_envelope(xml)
            xml = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
                xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        message = wechatpy_parse(xml)
        assert message.type == "text", xml
        assert message.target == self.openid and message.source == ACCOUNT
        content: str = message.content
        return content

    def say(self, content: str, msg_id: int | None = None) -> str:
        """Send a text message; return the reply's text (failing the test on anything else)."""
        reply = self.push(self.text_xml(content, msg_id)[0])
        assert reply.status == 200 and reply.text is not None, (reply.status, reply.body[:500])
        assert len(reply.text.encode()) <= 2048
        return reply.text

    def event(self, event: str) -> Reply:
        return self.push(self.message_xml("event", Event=event))


def wechatpy_parse_envelope(xml: str) -> dict[str, str]:
    """The fields of a safe-mode envelope (Encrypt, MsgSignature, TimeStamp, Nonce)."""
    root = ET.fromstring(xml)
    return {child.tag: child.text or "" for child in root}


# --- servers that can be restarted on the same database ------------------------------------------------------


@dataclass
class WeChatServer:
    url: str
    database_url: str
    container: Container
    safe: bool
    _server: ThreadedUvicorn
    _thread: threading.Thread
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def sender(self) -> Sender:
        return Sender(self.url, self.safe, self.http)

    def openid_hash(self, openid: str) -> str:
        return hash_openid(openid_hash_key(self.container.settings), openid)

    def conversation(self, sender: Sender) -> Conversation | None:
        return self.container.wechat.repository.get(self.openid_hash(sender.openid))

    def turn(self, sender: Sender) -> int:
        """How many answers the sender's consultation holds, read from the database."""
        conversation = self.conversation(sender)
        assert conversation is not None and conversation.consultation_id is not None
        return self.container.consultations.snapshot(conversation.consultation_id).stored.consultation.questions_asked

    def stop(self) -> None:
        if self._thread.is_alive():
            self.http.close()
            self._server.should_exit = True
            self._thread.join(timeout=15)
            self.container.close()


@dataclass
class WeChatServers:
    """Starts servers with the WeChat channel configured; stops them all at the end."""

    new_database: Callable[[str], str]
    running: list[WeChatServer] = field(default_factory=list)

    def start(
        self, kind: str, *, safe: bool = False, database_url: str | None = None, **overrides: Any
    ) -> WeChatServer:
        url = database_url or self.new_database(kind)
        values: dict[str, Any] = {"rate_limit_per_minute": 0.0, "log_level": "WARNING", **wechat_settings(safe)}
        values.update(overrides)
        container = build(Settings(database_url=url, **values))
        server, thread, base_url = serve_in_thread(container)
        handle = WeChatServer(base_url, url, container, safe, server, thread)
        self.running.append(handle)
        return handle

    def restart(self, server: WeChatServer, **overrides: Any) -> WeChatServer:
        """Stop ``server`` and start a new one on the same database (nothing kept in memory survives)."""
        server.stop()
        return self.start("", safe=server.safe, database_url=server.database_url, **overrides)

    def stop_all(self) -> None:
        for server in self.running:
            server.stop()


@pytest.fixture(scope="session")
def wechat_servers(new_database: Callable[[str], str]) -> Iterator[WeChatServers]:
    servers = WeChatServers(new_database)
    yield servers
    servers.stop_all()


@pytest.fixture(scope="session", params=["plain", "safe"])
def wechat_server(request: pytest.FixtureRequest, database_kind: str, wechat_servers: WeChatServers) -> WeChatServer:
    """A server per database kind and WeChat mode (plain, safe), shared by the tests (each has its own senders)."""
    return wechat_servers.start(database_kind, safe=request.param == "safe")


# --- a person answering -----------------------------------------------------------------------------------------


@dataclass
class Profile:
    """How a simulated person answers: yes to ``present`` (evidence codes), no to other yes/no questions, the
    first option of a question with options, the middle of a scale."""

    present: frozenset[str] = frozenset({"E_91", "E_201", "E_77", "E_181", "E_97", "E_144"})

    def reply(self, server: WeChatServer, sender: Sender) -> str:
        conversation = server.conversation(sender)
        assert conversation is not None and conversation.question is not None
        evidence = server.container.engine.knowledge.evidence(conversation.question)
        if evidence.kind is EvidenceKind.BINARY:
            return "1" if evidence.code in self.present else "2"
        if evidence.scale is not None:
            return "5"
        return "1"


def finish(server: WeChatServer, sender: Sender, first: str, profile: Profile | None = None, limit: int = 60) -> str:
    """Answer from the reply ``first`` on until the result comes; return the result's text."""
    profile = profile or Profile()
    reply = first
    language = server.conversation(sender).language  # type: ignore[union-attr]
    for _ in range(limit):
        if RESULT_MARK[language] in reply:
            return reply
        reply = sender.say(profile.reply(server, sender))
    raise AssertionError(f"no result after {limit} answers; last reply: {reply}")


def answer_status(server: WeChatServer, sender: Sender, turn: int) -> AnswerStatus:
    conversation = server.conversation(sender)
    assert conversation is not None and conversation.consultation_id is not None
    stored = server.container.consultations.snapshot(conversation.consultation_id).stored
    return stored.consultation.turns[turn].answer.status
