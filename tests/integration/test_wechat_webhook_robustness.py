"""The WeChat webhook under what the real platform (and the internet) sends: retries of a message, duplicates at
the same moment, replays, forgeries, messages out of order, non-text messages, a server restart; and what it
keeps: no OpenID in clear anywhere, nothing past the retention period.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text
from wechat_helpers import (
    RESULT_MARK,
    TOKEN,
    Profile,
    Sender,
    WeChatServer,
    WeChatServers,
    finish,
    wechat_server,
    wechat_servers,
)
from wechatpy.utils import WeChatSigner

from symptomcheck.services.wechat import hash_openid, legacy_openid_key, openid_key

__all__ = ["wechat_server", "wechat_servers"]  # fixtures, imported to be found by pytest


def _at_first_question(server: WeChatServer) -> tuple[Sender, str]:
    sender = server.sender()
    for message in ("你好", "1", "30", "2"):
        sender.say(message)
    return sender, sender.say("发烧")


def _version(server: WeChatServer, sender: Sender) -> int:
    conversation = server.conversation(sender)
    assert conversation is not None
    return conversation.version


# --- once per message -------------------------------------------------------------------------------------------


def test_a_retried_message_is_answered_identically_and_applied_once(wechat_server: WeChatServer) -> None:
    sender, _ = _at_first_question(wechat_server)
    xml, _ = sender.text_xml("2")
    first = sender.push(xml)
    assert first.text is not None and wechat_server.turn(sender) == 1
    for _ in range(3):  # WeChat retries three times, each with a new timestamp and nonce
        again = sender.push(xml)
        assert again.status == 200 and again.text == first.text
    assert wechat_server.turn(sender) == 1


def test_duplicates_arriving_at_the_same_moment_apply_once_and_all_get_the_same_reply(
    wechat_server: WeChatServer,
) -> None:
    sender, _ = _at_first_question(wechat_server)
    xml, _ = sender.text_xml("1")
    replies: list[str | None] = []
    barrier = threading.Barrier(6)

    def push() -> None:
        barrier.wait()
        replies.append(sender.push(xml).text)

    threads = [threading.Thread(target=push) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(replies) == 6 and replies[0] is not None and set(replies) == {replies[0]}
    assert wechat_server.turn(sender) == 1


def test_messages_with_msg_ids_out_of_order_are_each_applied_once_in_arrival_order(
    wechat_server: WeChatServer,
) -> None:
    sender, _ = _at_first_question(wechat_server)
    later_xml, _ = sender.text_xml("2", msg_id=9_000_000_000_000_000_000)
    earlier_xml, _ = sender.text_xml("2", msg_id=1_000)
    later = sender.push(later_xml)
    earlier = sender.push(earlier_xml)
    assert later.text is not None and earlier.text is not None and "第 2 题" in later.text
    assert "第 3 题" in earlier.text or RESULT_MARK["zh"] in earlier.text
    assert wechat_server.turn(sender) == 2
    # a late retry of the first message gets its own reply again and changes nothing
    assert sender.push(later_xml).text == later.text
    assert wechat_server.turn(sender) == 2


# --- refused requests --------------------------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_changes_nothing(wechat_server: WeChatServer) -> None:
    sender, _ = _at_first_question(wechat_server)
    before = _version(wechat_server, sender)
    xml, _ = sender.text_xml("1")
    refused = sender.push(xml, tamper=True)
    assert refused.status == 403 and b"signature" in refused.body
    assert json.loads(refused.body)["title"] == "Signature not accepted"  # a signature, not an API key
    assert _version(wechat_server, sender) == before and wechat_server.turn(sender) == 0
    # the same message, correctly signed, is then processed normally (the refusal stored nothing)
    assert sender.push(xml).text is not None and wechat_server.turn(sender) == 1


def test_a_replayed_old_message_is_refused_and_changes_nothing(wechat_server: WeChatServer) -> None:
    sender, _ = _at_first_question(wechat_server)
    before = _version(wechat_server, sender)
    xml, _ = sender.text_xml("1")
    replayed = sender.push(xml, timestamp=int(time.time()) - 600)
    assert replayed.status == 403 and b"timestamp" in replayed.body
    assert json.loads(replayed.body)["title"] == "Timestamp outside the replay window"
    assert _version(wechat_server, sender) == before and wechat_server.turn(sender) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"not xml at all", 400),
        (b"<xml><ToUserName>x</ToUserName></xml>", 400),
        (b'<!DOCTYPE xml [<!ENTITY e "boom">]><xml>&e;</xml>', 400),
        (b"<xml>" + b"a" * 70_000 + b"</xml>", 413),
    ],
)
def test_malformed_or_oversized_bodies_are_refused_with_a_problem(
    wechat_server: WeChatServer, body: bytes, status: int
) -> None:
    sender = wechat_server.sender()
    refused = sender.push(body.decode())
    assert refused.status == status, refused.body[:300]
    assert wechat_server.conversation(sender) is None


def test_an_unsigned_post_is_refused(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    response = sender.http.post(f"{wechat_server.url}/wechat", content=sender.text_xml("你好")[0].encode())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert wechat_server.conversation(sender) is None


# --- messages that are not text ----------------------------------------------------------------------------------


def test_messages_that_are_not_text_get_a_helpful_reply_and_change_nothing(wechat_server: WeChatServer) -> None:
    sender, first = _at_first_question(wechat_server)
    picture = sender.push(sender.message_xml("image", PicUrl="http://x/y.jpg", MediaId="m1", MsgId="77001"))
    assert picture.text is not None and picture.text.startswith("目前只能读取文字消息") and "第 1 题" in picture.text
    location = sender.push(
        sender.message_xml("location", Location_X="23.1", Location_Y="113.3", Scale="20", Label="x", MsgId="77002")
    )
    assert location.text == picture.text
    voice = sender.push(sender.message_xml("voice", MediaId="m2", Format="amr", MsgId="77003"))
    assert voice.text == picture.text
    assert wechat_server.turn(sender) == 0
    assert first


def test_a_voice_message_with_speech_recognition_is_read_as_its_text(wechat_server: WeChatServer) -> None:
    sender, _ = _at_first_question(wechat_server)
    voice = sender.push(sender.message_xml("voice", MediaId="m", Format="amr", Recognition="是", MsgId="88001"))
    assert voice.text is not None and "第 2 题" in voice.text and wechat_server.turn(sender) == 1


def test_subscribing_gets_the_welcome_and_unsubscribing_erases_the_conversation(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    welcome = sender.event("subscribe")
    assert welcome.text is not None and welcome.text.startswith("感谢关注") and "为谁" in welcome.text
    assert "年龄" in sender.say("1")  # the welcome asked who it is for: the conversation has begun
    assert "1. 女" in sender.say("28")
    sender.say("1")
    sender.say("发烧")
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.consultation_id is not None
    assert sender.event("CLICK").success  # a menu click: nothing to say
    gone = sender.event("unsubscribe")
    assert gone.success
    assert wechat_server.conversation(sender) is None
    with pytest.raises(Exception, match="no consultation"):
        wechat_server.container.consultations.snapshot(conversation.consultation_id)


# --- restart, privacy, retention ---------------------------------------------------------------------------------


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
def test_a_conversation_continues_after_the_server_restarts_on_the_same_database(
    wechat_servers: WeChatServers, database_kind: str, safe: bool
) -> None:
    server = wechat_servers.start(database_kind, safe=safe)
    sender, _ = _at_first_question(server)
    xml, _ = sender.text_xml(Profile().reply(server, sender))
    before_restart = sender.push(xml).text
    assert before_restart is not None and server.turn(sender) == 1
    openid = sender.openid

    server = wechat_servers.restart(server)
    sender = server.sender()
    sender.openid = openid
    assert server.turn(sender) == 1
    assert sender.push(xml).text == before_restart  # a retry across the restart: the same reply, not applied again
    assert server.turn(sender) == 1
    result = finish(server, sender, sender.say(Profile().reply(server, sender)))
    assert RESULT_MARK["zh"] in result and server.turn(sender) >= 2


def test_no_openid_is_stored_in_clear_anywhere_in_the_database(
    wechat_servers: WeChatServers, database_kind: str
) -> None:
    server = wechat_servers.start(database_kind)
    senders = [server.sender() for _ in range(3)]
    for sender in senders:
        for message in ("你好", "40", "1", "发烧", "1", "返回", "English", "2"):
            sender.say(message)
    database = server.container.database
    dump: list[str] = []
    with database.connect() as connection:
        for table in inspect(database).get_table_names():
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()
            dump += [repr(tuple(row)) for row in rows]
    everything = "\n".join(dump)
    assert server.openid_hash(senders[0].openid) in everything  # the scan does see the conversations
    for sender in senders:
        assert sender.openid not in everything
        assert sender.openid.lower() not in everything.lower()


def test_the_retention_purge_also_erases_wechat_conversations_and_replies(
    wechat_servers: WeChatServers, database_kind: str
) -> None:
    from symptomcheck.services.consultations import utc_now
    from symptomcheck.storage.tables import WeChatConversationRow, WeChatMessageRow

    server = wechat_servers.start(database_kind)
    sender, _ = _at_first_question(server)
    sender.say("1")
    with server.container.database.connect() as connection:
        assert connection.execute(select(WeChatMessageRow)).first() is not None
    server.container.purge(timedelta(days=1))  # nothing is that old yet
    assert server.conversation(sender) is not None
    time.sleep(0.01)
    server.container.purge(timedelta(0))
    assert server.conversation(sender) is None
    with server.container.database.connect() as connection:
        assert connection.execute(select(WeChatConversationRow)).first() is None
        assert connection.execute(select(WeChatMessageRow)).first() is not None  # kept an hour, for retries
    an_hour_later = utc_now() + timedelta(hours=1, seconds=1)
    server.container.wechat.repository.purge(an_hour_later, an_hour_later - timedelta(hours=1))
    with server.container.database.connect() as connection:
        assert connection.execute(select(WeChatMessageRow)).first() is None
    # the person simply starts again
    assert "为谁" in sender.say("你好")


def test_in_plain_mode_a_signature_cannot_carry_another_message(
    wechat_servers: WeChatServers, database_kind: str
) -> None:
    server = wechat_servers.start(database_kind, safe=False)
    victim, intruder = server.sender(), server.sender()
    timestamp, nonce = str(int(time.time())), "1234567890"
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    params = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}
    first = victim.text_xml("你好")[0].encode()
    assert server.http.post(f"{server.url}/wechat", params=params, content=first).status_code == 200
    assert server.http.post(f"{server.url}/wechat", params=params, content=first).status_code == 200  # a retry
    forged = intruder.text_xml("结果")[0].encode()
    refused = server.http.post(f"{server.url}/wechat", params=params, content=forged)
    assert refused.status_code == 403 and b"already used" in refused.content
    assert server.conversation(intruder) is None


def test_the_openid_hash_key_comes_from_its_own_secret_not_from_the_token(wechat_servers: WeChatServers) -> None:
    secret = "0123456789abcdef" * 4
    server = wechat_servers.start("sqlite", wechat_openid_secret=secret)
    sender = server.sender()
    assert sender.push(sender.text_xml("你好")[0]).text is not None
    stored = server.container.wechat.repository.get(hash_openid(openid_key(secret), sender.openid))
    assert stored is not None
    assert server.container.wechat.repository.get(hash_openid(legacy_openid_key(TOKEN), sender.openid)) is None
