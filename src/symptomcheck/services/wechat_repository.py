"""The storage interface of the WeChat conversation: where each person is in it, and the replies already sent.

A WeChat user is known only by an OpenID, which is personal data: the use case never sees it, only a keyed
hash of it (see `symptomcheck.services.wechat.hash_openid`), so the database holds no identifier that can be
matched to a WeChat account without the server's key.

Every method is one transaction. `commit` writes the reply to a message and the conversation's new state
together: the reply row's primary key (who, message key) makes a second processing of the same message fail
to commit, and the conversation's version makes a write based on a stale read fail, so the caller re-reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, Protocol

from symptomcheck.interview import Subject
from symptomcheck.knowledge import Language

Stage = Literal["subject", "age", "sex", "complaint", "choose_complaint", "interview", "done"]
STAGES: tuple[Stage, ...] = ("subject", "age", "sex", "complaint", "choose_complaint", "interview", "done")


@dataclass(frozen=True, slots=True)
class Conversation:
    """One person's place in the WeChat conversation (what they were last asked), keyed by their OpenID hash.

    ``question`` and ``turn`` are the consultation question the person was last shown: an answer is applied to
    them, not to whatever the consultation's current question is, so a retried message never answers twice.
    """

    openid_hash: str
    stage: Stage = "subject"  # who it is for comes first: it words the age and sex questions after it
    language: Language = "zh"
    # conversations stored before the subject was asked are for the person writing
    subject: Subject = Subject.SELF
    age: int | None = None
    sex: str | None = None
    candidates: tuple[str, ...] = ()  # complaint codes offered for the person to choose from
    consultation_id: str | None = None
    question: str | None = None
    turn: int = 0
    page: int = 0  # the page of options shown, for questions with too many options for one message
    warned: bool = False  # the emergency advice was already sent at once
    version: int = 0  # 0: not stored yet; +1 on every commit (the compare-and-set)
    updated: datetime | None = field(default=None, compare=False)

    def moved(self, **changes: object) -> Conversation:
        return replace(self, **changes)  # type: ignore[arg-type]

    def restarted(self) -> Conversation:
        """Back to the first question, keeping only who it is, the language and the stored version."""
        return Conversation(self.openid_hash, language=self.language, version=self.version, updated=self.updated)


class WeChatRepository(Protocol):
    def get(self, openid_hash: str) -> Conversation | None: ...

    def stored_reply(self, openid_hash: str, message_key: str) -> str | None:
        """The reply already sent to this message, if it was processed."""
        ...

    def commit(
        self, conversation: Conversation, based_on: int, message_key: str | None, reply: str, now: datetime
    ) -> bool:
        """Store the reply to the message and the conversation's new state, in one transaction.

        ``based_on`` is the version the change was computed from (0: the conversation is new). Return False,
        writing nothing, when the message already has a reply or the conversation changed since it was read.
        """
        ...

    def forget(self, openid_hash: str) -> str | None:
        """Erase the conversation and its stored replies; return the consultation id it held, if any."""
        ...

    def purge(self, updated_before: datetime, replies_before: datetime) -> int:
        """Erase conversations not changed since ``updated_before`` and stored replies older than
        ``replies_before``; return how many conversations."""
        ...
