"""The consultation over WeChat text messages: a small state machine in front of the consultation service.

Pure of HTTP: it takes the text a person sent (with a hash of their OpenID and the message's key) and returns
the text to reply. The stages, in order::

    subject -> age -> sex -> complaint -> [choose_complaint] -> interview -> done
                                                                (one question per message)

The first message of a new person gets the welcome and the question of who the consultation is for (1 myself,
2 my child, 3 another adult): the age and sex asked next are the patient's, and every question after it is
worded for them ("孩子是否发烧？"). A complaint matching one symptom
clearly starts the consultation; several close matches are numbered for the person to pick. Commands work at
any stage: restart (重新开始), back (返回), help (帮助), a language (中文 / English / français).

Each message is processed once, however often WeChat delivers it (it retries a message it got no reply for
within 5 s, with the same MsgId): the reply is stored under (OpenID hash, message key) in the same
transaction as the conversation's new state, so a retry returns the stored reply, and a duplicate processed
at the same moment fails on the primary key and returns the reply of the one that won. The consultation
changes a message makes are themselves idempotent (an answer is keyed by the question and turn the person was
shown; a start by a creation key made of the message key), so the losing duplicate applied nothing twice.
Messages from one person are also serialised within a process, so they are read and applied in arrival order.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from symptomcheck.interview import Subject
from symptomcheck.interview.consultation import CHILD_AGE_LIMIT
from symptomcheck.knowledge import Language
from symptomcheck.services.consultations import COMPLAINT_MATCH, ConsultationService, Snapshot, utc_now
from symptomcheck.services.errors import ConcurrentUpdateError, InvalidRequestError, NotFoundError, StaleAnswerError
from symptomcheck.services.wechat_input import (
    command,
    language_asked,
    normalise,
    parse_age,
    parse_answer,
    parse_choice,
    parse_region_choice,
    parse_sex,
    parse_sites,
)
from symptomcheck.services.wechat_replies import Replies
from symptomcheck.services.wechat_repository import Conversation, WeChatRepository

MAX_ATTEMPTS = 5
# who the consultation is for, by the number replied (1 myself, 2 my child, 3 another adult)
SUBJECTS = (Subject.SELF, Subject.CHILD, Subject.ADULT)
# a stored reply only serves WeChat's retries (seconds) within the protocol's 5-minute replay window; it holds
# health texts, so it is kept an hour, not for the whole retention
REPLIES_KEPT = timedelta(hours=1)
# a complaint starts the consultation at once when its best match is this much better than the next one
CLEAR_LEAD = 0.2
MAX_CANDIDATES = 5
_OPENID_KEY_CONTEXT = b"symptomcheck/wechat/openid-hash/v1"
_OPENID_KEY_SALT = b"symptomcheck/wechat/openid-hash/salt"


def openid_key(secret: str) -> bytes:
    """The server-side key of the OpenID hash, derived from a secret of its own (SYMPTOMCHECK_WECHAT_OPENID_SECRET)
    with HKDF-SHA256 (RFC 5869) under this use's own label, so the key is good for this and nothing else.

    Why a keyed hash (HMAC-SHA256) and not a plain SHA-256: an OpenID is not secret (it travels in every
    message, and any app of the account's developer sees it), so a plain hash of it could be recomputed by
    anyone holding a list of OpenIDs and matched against a copied database. With a key that lives only in
    the server's configuration, the database alone does not link a conversation to a WeChat account.
    Why its own secret and not the account's Token: the Token is typed into WeChat's console and shared with
    whoever administers the account, and rotating it (after a leak, say) should not re-key the stored hashes.
    """
    prk = hmac.new(_OPENID_KEY_SALT, secret.encode("utf-8"), hashlib.sha256).digest()  # extract
    return hmac.new(prk, _OPENID_KEY_CONTEXT + b"\x01", hashlib.sha256).digest()  # expand, one block


def legacy_openid_key(token: str) -> bytes:
    """The key used before the OpenID secret existed, derived from the account's Token: still used when no
    OpenID secret is set, so that conversations stored by an earlier version keep their hashes (see
    docs/wechat.md for moving to a secret of its own: conversations in progress then start again)."""
    return hmac.new(token.encode("utf-8"), _OPENID_KEY_CONTEXT, hashlib.sha256).digest()


def hash_openid(key: bytes, openid: str) -> str:
    """The identifier stored for a WeChat user: HMAC-SHA256 of the OpenID, 64 hexadecimal digits."""
    return hmac.new(key, openid.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Step:
    """What one message does: the conversation's new state and the reply."""

    conversation: Conversation
    reply: str
    # the message changed the consultation: on a conflicting write the step is kept, not computed again
    # (computing it again against the newer state would apply the message a second time)
    applied: bool = False


class WeChatService:
    def __init__(
        self,
        consultations: ConsultationService,
        repository: WeChatRepository,
        clock: Callable[[], datetime] = utc_now,
        lock_stripes: int = 64,
    ) -> None:
        self.consultations = consultations
        self.repository = repository
        self.clock = clock
        self.replies = Replies(consultations.engine.knowledge)
        self._locks = [threading.Lock() for _ in range(lock_stripes)]

    # -- the messages --------------------------------------------------------------------------------------

    def reply_to_text(self, openid_hash: str, message_key: str | None, text: str) -> str:
        """The reply to a text message (processed once per message key)."""
        return self._process(openid_hash, message_key, lambda c: self._on_text(c, text, message_key))

    def reply_to_subscribe(self, openid_hash: str, message_key: str | None) -> str:
        """A (re)subscription: the welcome, and the conversation starts from the beginning."""

        def welcome(c: Conversation) -> Step:
            self._erase_consultation(c)
            return Step(c.restarted(), self.replies.welcome(c.language, subscribed=True), applied=True)

        return self._process(openid_hash, message_key, welcome)

    def reply_to_unsupported(self, openid_hash: str, message_key: str | None) -> str:
        """A message that is not text (a picture, a voice note, a location...): say so, and ask again."""
        note = self.replies.t
        return self._process(
            openid_hash, message_key, lambda c: self._prompt(c, note(c.language, "wechat_unsupported"))
        )

    def forget(self, openid_hash: str) -> None:
        """An unsubscription: erase the conversation, its stored replies and its consultation."""
        with self._lock(openid_hash):
            consultation_id = self.repository.forget(openid_hash)
            if consultation_id is not None:
                with suppress(NotFoundError):
                    self.consultations.delete(consultation_id)

    def purge(self, retention: timedelta) -> int:
        """Erase the conversations left unchanged for longer than ``retention``, and stored replies over an hour old."""
        now = self.clock()
        return self.repository.purge(now - retention, now - REPLIES_KEPT)

    # -- processing once -----------------------------------------------------------------------------------

    @contextmanager
    def _lock(self, openid_hash: str) -> Iterator[None]:
        with self._locks[int(openid_hash[:8], 16) % len(self._locks)]:
            yield

    def _process(self, openid_hash: str, message_key: str | None, step: Callable[[Conversation], Step]) -> str:
        with self._lock(openid_hash):
            done: Step | None = None
            for _ in range(MAX_ATTEMPTS):
                if message_key is not None:
                    stored = self.repository.stored_reply(openid_hash, message_key)
                    if stored is not None:
                        return stored  # a retry (or a duplicate that another process answered first)
                current = self.repository.get(openid_hash) or Conversation(openid_hash)
                if done is None or not done.applied:
                    done = step(current)  # else keep it: it is written over `current`, whose version it now bases on
                if self.repository.commit(done.conversation, current.version, message_key, done.reply, self.clock()):
                    return done.reply
        raise ConcurrentUpdateError("this conversation keeps changing under concurrent messages: try again")

    # -- the state machine ---------------------------------------------------------------------------------

    def _on_text(self, c: Conversation, text: str, message_key: str | None) -> Step:
        language = language_asked(text)
        if c.version == 0:  # a new person: the welcome (in the language asked for, if that was the message)
            fresh = Conversation(c.openid_hash, language=language or "zh")
            return Step(fresh, self.replies.welcome(fresh.language))
        if language is not None:
            return self._switch_language(c, language)
        match command(text):
            case "restart":
                self._erase_consultation(c)  # a new consultation starts: the old one is not kept behind
                fresh = c.restarted()
                note = self.replies.t(fresh.language, "wechat_restarted")
                return Step(fresh, self.replies.prompt(fresh.language, "wechat_subject_prompt", note), applied=True)
            case "help":
                return self._prompt(c, with_help=True)
            case "back" if self._choosing_site(c):
                return self._prompt(c.moved(page=0))  # from a region's sites back to the regions
            case "back":
                return self._back(c)
            case "more" if c.stage == "interview" and not self._site_question(c):
                return self._prompt(c.moved(page=c.page + 1))
            case "result" if c.stage == "done":
                return self._prompt(c, result=True)
            case _:
                pass
        match c.stage:
            case "subject":
                return self._on_subject(c, text)
            case "age":
                return self._on_age(c, text)
            case "sex":
                return self._on_sex(c, text)
            case "complaint":
                return self._on_complaint(c, text, message_key)
            case "choose_complaint":
                chosen = parse_choice(text, len(c.candidates))
                if chosen is not None:
                    return self._start(c, c.candidates[chosen], message_key)
                if normalise(text).isdecimal():  # a number not offered: the same choices again
                    return self._prompt(c, self._t(c, "answer_invalid"))
                return self._on_complaint(c, text, message_key)  # other words: search again
            case "interview":
                return self._on_answer(c, text)
            case "done":
                return self._prompt(c)

    def _erase_consultation(self, c: Conversation) -> None:
        if c.consultation_id is not None:
            with suppress(NotFoundError):
                self.consultations.delete(c.consultation_id)

    def _t(self, c: Conversation, key: str, **values: object) -> str:
        return self.replies.t(c.language, key, c.subject, **values)

    def _on_subject(self, c: Conversation, text: str) -> Step:
        chosen = parse_choice(text, len(SUBJECTS))
        if chosen is None:
            return self._prompt(c, self._t(c, "wechat_subject_invalid"))
        moved = c.moved(stage="age", subject=SUBJECTS[chosen])
        return Step(moved, self.replies.prompt(c.language, "wechat_age_prompt", subject=moved.subject))

    def _on_age(self, c: Conversation, text: str) -> Step:
        age = parse_age(text)
        # the patient's age: a child's is under 16 (someone older is "another adult")
        if age is None or (c.subject is Subject.CHILD and age >= CHILD_AGE_LIMIT):
            return self._prompt(c, self._t(c, "age_invalid"))
        moved = c.moved(stage="sex", age=age)
        return Step(moved, self.replies.prompt(c.language, "wechat_sex_prompt", subject=c.subject))

    def _on_sex(self, c: Conversation, text: str) -> Step:
        sex = parse_sex(text)
        if sex is None:
            return self._prompt(c, self._t(c, "wechat_sex_invalid"))
        moved = c.moved(stage="complaint", sex=sex)
        return Step(moved, self.replies.prompt(c.language, "complaint_prompt", subject=c.subject))

    def _on_complaint(self, c: Conversation, text: str, message_key: str | None) -> Step:
        found = self.consultations.parser.parse(text, c.language, c.age)
        starters = self.consultations.complaint_codes
        if any(f.present and f.evidence in starters for f in found):
            # the words state a complaint ("发烧"; "咳嗽发烧，不头疼": several findings): start from all they say at
            # once, as the REST API does, rather than offer complaints that merely share characters with it
            return self._start(c, text, message_key)
        matches = self.consultations.search.search(text, limit=MAX_CANDIDATES)
        if not matches:
            moved = c.moved(stage="complaint", candidates=())
            none = self._t(c, "complaint_none")
            return Step(moved, self.replies.prompt(c.language, "complaint_prompt", none, c.subject))
        best = matches[0]
        runner_up = matches[1].score if len(matches) > 1 else 0.0
        if best.score >= COMPLAINT_MATCH and best.score - runner_up >= CLEAR_LEAD:
            return self._start(c, best.evidence, message_key)
        candidates = tuple(m.evidence for m in matches)
        moved = c.moved(stage="choose_complaint", candidates=candidates)
        return Step(moved, self.replies.complaint_choices(c.language, candidates, subject=c.subject))

    def _start(self, c: Conversation, complaint: str, message_key: str | None) -> Step:
        """Start from an evidence code, or from the words typed (the service parses them; nothing is stored)."""
        assert c.age is not None and c.sex is not None
        # the message key makes the start idempotent: a duplicate of this message gets the same consultation
        key = f"wechat:{c.openid_hash[:32]}:{message_key}" if message_key is not None else None
        snapshot, _ = self.consultations.start(c.age, c.sex, c.language, complaint, creation_key=key, subject=c.subject)
        started = c.moved(candidates=(), consultation_id=snapshot.stored.id, question=None, turn=0, warned=False)
        return self._present(started, snapshot, applied=True)

    def _on_answer(self, c: Conversation, text: str) -> Step:
        snapshot = self._snapshot(c)
        if snapshot is None:
            return self._expired(c)
        if c.question is None:
            return self._present(c, snapshot)
        question = self.consultations.presenter.question(c.question, None, c.language, c.subject)
        if question.regions:
            # a body-site question: `page` is 0 at the menu of regions, n at the sites of region n
            if 0 < c.page <= len(question.regions):
                given = parse_sites(question.regions[c.page - 1], text)
            else:
                chosen = parse_region_choice(question, text)
                if isinstance(chosen, int):
                    return self._present(c.moved(page=chosen + 1), snapshot)
                given = chosen
        else:
            given = parse_answer(question, text)
        if given is None:
            return self._present(c, snapshot, self._t(c, "answer_invalid"))
        assert c.consultation_id is not None
        try:
            answered = self.consultations.answer(c.consultation_id, c.question, c.turn, given)
        except StaleAnswerError:
            return self._resync(c, self._t(c, "wechat_stale"))
        except InvalidRequestError:
            return self._present(c, snapshot, self._t(c, "answer_invalid"))
        return self._present(c, answered, applied=True)

    def _site_question(self, c: Conversation) -> bool:
        knowledge = self.consultations.presenter.knowledge
        return c.stage == "interview" and c.question is not None and bool(knowledge.regions_for(c.question))

    def _choosing_site(self, c: Conversation) -> bool:
        return self._site_question(c) and c.page > 0

    def _back(self, c: Conversation) -> Step:
        went_back = self._t(c, "went_back")
        match c.stage:
            case "subject":
                return self._prompt(c, self._t(c, "nothing_to_go_back"))
            case "age":
                return self._prompt(c.moved(stage="subject"), went_back)
            case "sex":
                return self._prompt(c.moved(stage="age"), went_back)
            case "complaint":
                return self._prompt(c.moved(stage="sex"), went_back)
            case "choose_complaint":
                return self._prompt(c.moved(stage="complaint", candidates=()), went_back)
            case _:
                pass
        assert c.consultation_id is not None
        if c.turn == 0:  # before the first question is only the complaint: ask it again, in a new consultation
            self._erase_consultation(c)
            moved = c.moved(stage="complaint", consultation_id=None, question=None, turn=0, warned=False)
            return Step(moved, self.replies.prompt(c.language, "complaint_prompt", went_back, c.subject), applied=True)
        try:
            snapshot = self.consultations.back(c.consultation_id, c.turn)
        except StaleAnswerError:
            return self._resync(c, self._t(c, "wechat_stale"))
        except NotFoundError:
            return self._expired(c)
        return self._present(c, snapshot, went_back, applied=True)

    def _switch_language(self, c: Conversation, language: Language) -> Step:
        moved = c.moved(language=language)
        if c.consultation_id is not None:
            with suppress(NotFoundError):
                self.consultations.set_language(c.consultation_id, language)
        return self._prompt(moved, self.replies.t(language, "wechat_language_set"))

    # -- what to ask now -----------------------------------------------------------------------------------

    def _prompt(self, c: Conversation, note: str = "", *, with_help: bool = False, result: bool = False) -> Step:
        """Ask again what the stage asks (after ``note``), with the help before it if asked."""
        language = c.language
        match c.stage:
            case "subject":
                reply = self.replies.prompt(language, "wechat_subject_prompt", note)
            case "age":
                reply = self.replies.prompt(language, "wechat_age_prompt", note, c.subject)
            case "sex":
                reply = self.replies.prompt(language, "wechat_sex_prompt", note, c.subject)
            case "complaint":
                reply = self.replies.prompt(language, "complaint_prompt", note, c.subject)
            case "choose_complaint":
                reply = self.replies.complaint_choices(language, c.candidates, note, c.subject)
            case "interview" | "done":
                snapshot = self._snapshot(c)
                if snapshot is None:
                    return self._expired(c)
                if c.stage == "done" and not result:
                    reply = self.replies.prompt(language, "wechat_done", note)
                else:
                    step = self._present(c, snapshot, note)
                    return Step(step.conversation, self.replies.help(language, step.reply)) if with_help else step
        return Step(c, self.replies.help(language, reply) if with_help else reply)

    def _present(self, c: Conversation, snapshot: Snapshot, note: str = "", applied: bool = False) -> Step:
        """The conversation and reply after the consultation reached ``snapshot``: the next question, or the result."""
        view = self.consultations.view(snapshot, c.language)
        assessment = view.assessment
        if view.finished or assessment.question is None:
            moved = c.moved(stage="done", consultation_id=view.id, question=None, turn=view.turn, page=0)
            return Step(moved, self.replies.result(c.language, assessment, note, view.subject), applied)
        question = assessment.question.id
        page = c.page if (question, view.turn) == (c.question, c.turn) else 0
        warn = assessment.triage.emergency_now and not c.warned
        moved = c.moved(
            stage="interview",
            consultation_id=view.id,
            question=question,
            turn=view.turn,
            page=page,
            warned=c.warned or warn,
        )
        return Step(moved, self.replies.question(c.language, assessment, page, note, warn, view.subject), applied)

    def _resync(self, c: Conversation, note: str) -> Step:
        """The consultation moved on without this conversation (a concurrent message): show where it is now."""
        snapshot = self._snapshot(c)
        return self._expired(c) if snapshot is None else self._present(c, snapshot, note)

    def _snapshot(self, c: Conversation) -> Snapshot | None:
        if c.consultation_id is None:
            return None
        try:
            return self.consultations.snapshot(c.consultation_id)
        except NotFoundError:
            return None

    def _expired(self, c: Conversation) -> Step:
        """The consultation is gone (erased after the retention period): start again from the complaint."""
        known = c.age is not None and c.sex is not None
        restarted = c.restarted()
        moved = restarted.moved(stage="complaint", subject=c.subject, age=c.age, sex=c.sex) if known else restarted
        key = "complaint_prompt" if known else "wechat_subject_prompt"
        return Step(moved, self.replies.prompt(c.language, key, self._t(c, "wechat_expired"), moved.subject))
