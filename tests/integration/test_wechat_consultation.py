"""Whole consultations through the WeChat webhook, over real HTTP, in plain and safe mode, on SQLite and PostgreSQL.

WeChat's side is wechatpy (see wechat_helpers): it signs and encrypts every push and reads every reply.
"""

from __future__ import annotations

import re

import httpx
import pytest
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

__all__ = ["wechat_server", "wechat_servers"]  # fixtures, imported to be found by pytest


def _disclaimer(server: WeChatServer, language: str) -> str:
    return server.container.engine.knowledge.disclaimer[language]  # type: ignore[index]


def _start(server: WeChatServer, sender: Sender, complaint: str = "发烧") -> str:
    welcome = sender.say("你好")
    assert "为谁" in welcome and _disclaimer(server, "zh") in welcome
    assert "年龄" in sender.say("1")
    assert "1. 女" in sender.say("35岁")
    assert "主要的不适" in sender.say("1")
    return sender.say(complaint)


def test_a_consultation_in_chinese_runs_from_hello_to_the_result_with_triage_first(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    first = _start(wechat_server, sender)
    assert ("第 1 题" in first and "回复 1 是，2 否，3 不知道" in first) or "回复一个" in first or "0 到 10" in first
    result = finish(wechat_server, sender, first)
    assert result.index(RESULT_MARK["zh"]) < result.index("建议您这样做") < result.index("需要考虑的疾病")
    assert result.index("需要考虑的疾病") < result.index(_disclaimer(wechat_server, "zh"))
    assert re.search(r"\n1\. .+（(可能性较大|有可能|可能性较小|可能性很小，但尚不能排除)）", result)
    assert len(result.encode()) <= 2048
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.stage == "done"
    snapshot = wechat_server.container.consultations.snapshot(conversation.consultation_id or "")
    assert snapshot.stored.summary.finished
    assert snapshot.stored.consultation.complaint == "E_91" and snapshot.stored.consultation.age == 35
    # after the result: a hint, the result again on request, and a new consultation on "重新开始"
    assert "重新开始" in sender.say("1")
    assert sender.say("结果") == result
    assert "为谁" in sender.say("重新开始")


def test_asking_for_english_switches_the_whole_conversation_and_the_consultation(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    first = _start(wechat_server, sender)
    switched = sender.say("English")
    assert switched.startswith("The conversation continues in English.")
    assert "Reply 1 yes, 2 no, 3 don't know" in switched or "Reply with" in switched
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.language == "en"
    snapshot = wechat_server.container.consultations.snapshot(conversation.consultation_id or "")
    assert snapshot.stored.consultation.language == "en"
    result = finish(wechat_server, sender, switched)
    assert "What to do: " in result and _disclaimer(wechat_server, "en") in result
    assert first != switched


def test_french_from_the_first_message_and_chinese_again_on_request(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    welcome = sender.say("français")
    assert "Pour qui est cette consultation" in welcome and _disclaimer(wechat_server, "fr") in welcome
    assert "quel âge avez-vous" in sender.say("1")
    assert "1. Femme" in sender.say("42 ans")
    assert "symptôme principal" in sender.say("homme")
    question = sender.say("fièvre")
    assert "Question 1" in question
    assert "第 1 题" in sender.say("中文")


def test_several_close_complaints_are_numbered_for_the_person_to_pick(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    choices = _start(wechat_server, sender, complaint="肚子")
    assert "最接近" in choices and "\n1. " in choices and "\n2. " in choices
    again = sender.say("9")  # no such number: the same list again
    assert again.startswith("这个回答不适用于本题") and again.endswith(choices)
    first = sender.say("1")
    assert "第 1 题" in first
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.stage == "interview"


def test_a_message_with_several_symptoms_starts_at_once_from_all_of_them(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    first = _start(wechat_server, sender, complaint="咳嗽发烧，不头晕")
    assert "第 1 题" in first
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.stage == "interview"
    consultation = wechat_server.container.consultations.snapshot(
        conversation.consultation_id or ""
    ).stored.consultation
    assert consultation.complaint == "E_201"
    assert [(t.evidence, t.answer.status.value) for t in consultation.findings] == [
        ("E_91", "present"),
        ("E_76", "absent"),
    ]


def test_a_complaint_nothing_matches_is_asked_again(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    reply = _start(wechat_server, sender, complaint="xyzzy")
    assert "没有找到" in reply and "主要的不适" in reply


def test_bad_age_and_sex_are_asked_again_saying_what_is_accepted(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    sender.say("hi")
    assert "1（本人）、2（孩子）或 3（其他成年人）" in sender.say("4")
    sender.say("1")
    assert "0 到 120" in sender.say("两百")
    assert "0 到 120" in sender.say("130")
    sender.say("３５")  # full-width digits, as a Chinese keyboard may send them
    assert "1（女）或 2（男）" in sender.say("3")
    assert "主要的不适" in sender.say("男")


def test_back_goes_one_step_back_at_every_stage_and_restart_starts_over(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    sender.say("hi")
    assert "没有可以返回" in sender.say("返回")
    sender.say("1")
    assert "为谁" in sender.say("返回")
    sender.say("1")
    sender.say("50")
    assert "年龄" in sender.say("返回")
    sender.say("50")
    sender.say("2")
    first = sender.say("发烧")
    second = sender.say(Profile().reply(wechat_server, sender))
    assert wechat_server.turn(sender) == 1
    back = sender.say("返回")
    assert back.startswith("已返回上一题") and wechat_server.turn(sender) == 0
    assert back.removeprefix("已返回上一题。\n\n") == first  # the first question again, as it was first shown
    assert "主要的不适" in sender.say("back")  # before the first question is the complaint
    assert second
    restarted = sender.say("重新开始")
    assert restarted.startswith("好的，我们重新开始") and "为谁" in restarted
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.stage == "subject" and conversation.consultation_id is None


def test_help_explains_the_commands_and_asks_the_current_question_again(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    first = _start(wechat_server, sender)
    helped = sender.say("帮助")
    assert "重新开始" in helped and "返回" in helped and "English" in helped
    assert "第 1 题" in helped and wechat_server.turn(sender) == 0
    assert first


def test_an_answer_that_does_not_fit_the_question_is_refused_and_the_question_asked_again(
    wechat_server: WeChatServer,
) -> None:
    sender = wechat_server.sender()
    _start(wechat_server, sender)
    again = sender.say("maybe")
    assert again.startswith("这个回答不适用于本题") and "第 1 题" in again
    assert wechat_server.turn(sender) == 0


def test_url_verification_echoes_only_a_correctly_signed_request(wechat_server: WeChatServer) -> None:
    signer = WeChatSigner()
    signer.add_data(TOKEN, "1700000000", "123456")
    params = {"signature": signer.signature, "timestamp": "1700000000", "nonce": "123456", "echostr": "e42"}
    ok = httpx.get(f"{wechat_server.url}/wechat", params=params)
    assert ok.status_code == 200 and ok.text == "e42"
    refused = httpx.get(f"{wechat_server.url}/wechat", params={**params, "nonce": "654321"})
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_a_token_the_channel_answers_404_not_configured(wechat_servers: WeChatServers, method: str) -> None:
    server = wechat_servers.start("sqlite", wechat_token=None)
    response = httpx.request(method, f"{server.url}/wechat", content=b"<xml/>")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("the WeChat channel is not configured")


def test_an_emergency_is_said_at_once_before_the_next_question_and_only_once(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    for message in ("你好", "1", "60", "2"):
        sender.say(message)
    first = sender.say("严重呼吸困难")  # severe shortness of breath: a red flag
    urgent = wechat_server.container.engine.knowledge.message("zh", "emergency_now")
    assert first.startswith(f"⚠️ {urgent}") and first.index(urgent) < first.index("第 1 题")
    second = sender.say(Profile().reply(wechat_server, sender))
    assert urgent not in second or RESULT_MARK["zh"] in second
    if RESULT_MARK["zh"] not in second:  # later questions keep a one-line reminder of the advice
        title = first.splitlines()[1]
        assert second.startswith(f"⚠️ {title}"), second
    result = finish(wechat_server, sender, second)
    assert result.index("建议您这样做") < result.index("需要考虑的疾病")


def test_thoughts_of_suicide_typed_as_the_complaint_get_the_emergency_advice_and_a_crisis_line_at_once(
    wechat_server: WeChatServer,
) -> None:
    sender = wechat_server.sender()
    first = _start(wechat_server, sender, complaint="我不想活了")
    urgent = wechat_server.container.engine.knowledge.message("zh", "emergency_now")
    assert first.startswith(f"⚠️ {urgent}")
    assert "12356" in first and first.index("12356") < first.index("第 1 题")


def test_restarting_erases_the_consultation_left_behind(wechat_server: WeChatServer) -> None:
    from symptomcheck.services.errors import NotFoundError

    sender = wechat_server.sender()
    for message in ("hi", "1", "50", "2", "发烧"):
        sender.say(message)
    sender.say(Profile().reply(wechat_server, sender))
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.consultation_id is not None
    old = conversation.consultation_id
    sender.say("重新开始")
    with pytest.raises(NotFoundError):
        wechat_server.container.consultations.snapshot(old)


def test_a_body_site_question_is_a_menu_of_regions_then_the_sites_of_the_region_chosen(
    wechat_server: WeChatServer,
) -> None:
    sender = wechat_server.sender()
    menu = _start(wechat_server, sender, complaint="疼痛")  # pain: where is asked first
    assert wechat_server.conversation(sender).question == "E_55"  # type: ignore[union-attr]
    assert menu.index("1. 没有") < menu.index(". 头部") < menu.index(". 胸部") < menu.index(". 右脚和脚踝")
    assert "请回复身体部位的编号" in menu and "回复“更多”" not in menu  # one page, no paging
    chest = re.search(r"(\d+)\. 胸部\n", menu)
    assert chest is not None
    sites = sender.say(chest.group(1))
    assert "【胸部】" in sites and "0. 就在这一部位" in sites and "1. 胸部正中（上部）" in sites
    assert wechat_server.turn(sender) == 0  # choosing a region answers nothing yet
    back = sender.say("返回")  # from the sites back to the regions, not to the previous question
    assert "请回复身体部位的编号" in back and "【胸部】" not in back and wechat_server.turn(sender) == 0
    sender.say(chest.group(1))
    sender.say("0")  # not sure where in the chest: every site of the chest
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.consultation_id is not None
    stored = wechat_server.container.consultations.snapshot(conversation.consultation_id).stored
    knowledge = wechat_server.container.engine.knowledge
    chest_sites = next(region.sites for region in knowledge.body_regions if region.id == "chest")
    assert stored.consultation.turns[0].answer.values == chest_sites


def test_a_consultation_for_a_child_asks_who_it_is_for_then_the_childs_age_and_asks_about_the_child(
    wechat_server: WeChatServer,
) -> None:
    sender = wechat_server.sender()
    assert "2. 我的孩子" in sender.say("你好")
    assert "孩子多大" in sender.say("2")
    assert "0 到 15" in sender.say("20")  # no child's age: a child here is under 16
    assert "孩子的性别" in sender.say("6")
    assert "孩子最主要的不适" in sender.say("1")
    first = sender.say("发烧")
    assert "第 1 题" in first and "孩子" in first and "您是否" not in first
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.subject == "child"
    stored = wechat_server.container.consultations.snapshot(conversation.consultation_id or "").stored
    assert stored.consultation.subject == "child" and stored.consultation.age == 6
    result = finish(wechat_server, sender, first)
    knowledge = wechat_server.container.engine.knowledge
    level = wechat_server.container.consultations.snapshot(conversation.consultation_id or "").assessment.triage.level
    assert knowledge.advice_of(level, "zh", "child").title in result


def test_a_consultation_for_another_adult_in_english_speaks_of_them(wechat_server: WeChatServer) -> None:
    sender = wechat_server.sender()
    assert "3. Another adult" in sender.say("English")
    assert "How old are they" in sender.say("3")
    assert "What is their sex" in sender.say("82")
    assert "What is their main complaint" in sender.say("2")
    first = sender.say("fever")
    assert "Question 1" in first and " you " not in first.split("\n\n")[1].lower()
    conversation = wechat_server.conversation(sender)
    assert conversation is not None and conversation.subject == "adult" and conversation.age == 82
