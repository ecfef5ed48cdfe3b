"""The SQL implementation of the services' `WeChatRepository` (one transaction per method)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from symptomcheck.interview import Subject
from symptomcheck.services.wechat_repository import STAGES, Conversation
from symptomcheck.storage.tables import WeChatConversationRow, WeChatMessageRow


def _data(conversation: Conversation) -> str:
    data: dict[str, Any] = {
        "language": conversation.language,
        "subject": conversation.subject.value,
        "age": conversation.age,
        "sex": conversation.sex,
        "candidates": list(conversation.candidates),
        "question": conversation.question,
        "turn": conversation.turn,
        "page": conversation.page,
        "warned": conversation.warned,
    }
    return json.dumps(data, separators=(",", ":"))


def _conversation(row: WeChatConversationRow) -> Conversation:
    data = json.loads(row.data)
    stage = row.stage if row.stage in STAGES else "subject"  # a stage this version does not know: start again
    return Conversation(
        openid_hash=row.openid_hash,
        stage=stage,  # narrowed to a Stage by the check against STAGES just above
        language=data.get("language", "zh"),
        # stored before the subject was asked: for the person writing
        subject=Subject(data["subject"]) if data.get("subject") in Subject._value2member_map_ else Subject.SELF,
        age=data.get("age"),
        sex=data.get("sex"),
        candidates=tuple(data.get("candidates", ())),
        consultation_id=row.consultation_id,
        question=data.get("question"),
        turn=int(data.get("turn", 0)),
        page=int(data.get("page", 0)),
        warned=bool(data.get("warned", False)),
        version=row.version,
        updated=row.updated,
    )


class SqlWeChatRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def get(self, openid_hash: str) -> Conversation | None:
        with self._sessions.begin() as session:
            row = session.get(WeChatConversationRow, openid_hash)
            return _conversation(row) if row is not None else None

    def stored_reply(self, openid_hash: str, message_key: str) -> str | None:
        with self._sessions.begin() as session:
            return session.scalar(
                select(WeChatMessageRow.reply).where(
                    WeChatMessageRow.openid_hash == openid_hash, WeChatMessageRow.message_key == message_key
                )
            )

    def commit(
        self, conversation: Conversation, based_on: int, message_key: str | None, reply: str, now: datetime
    ) -> bool:
        try:
            with self._sessions.begin() as session:
                # the reply first: a second processing of the same message stops here, on the primary key
                if message_key is not None:
                    session.add(
                        WeChatMessageRow(
                            openid_hash=conversation.openid_hash, message_key=message_key, reply=reply, created=now
                        )
                    )
                    session.flush()
                values = {
                    "version": based_on + 1,
                    "stage": conversation.stage,
                    "consultation_id": conversation.consultation_id,
                    "data": _data(conversation),
                    "updated": now,
                }
                if based_on == 0:
                    session.add(WeChatConversationRow(openid_hash=conversation.openid_hash, **values))
                    session.flush()  # a concurrent first message for the same person fails here
                    return True
                changed = session.execute(
                    update(WeChatConversationRow)
                    .where(
                        WeChatConversationRow.openid_hash == conversation.openid_hash,
                        WeChatConversationRow.version == based_on,
                    )
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if changed.rowcount != 1:  # type: ignore[attr-defined]
                    session.rollback()
                    return False
                return True
        except IntegrityError:
            return False

    def forget(self, openid_hash: str) -> str | None:
        with self._sessions.begin() as session:
            consultation_id = session.scalar(
                delete(WeChatConversationRow)
                .where(WeChatConversationRow.openid_hash == openid_hash)
                .returning(WeChatConversationRow.consultation_id)
            )
            session.execute(delete(WeChatMessageRow).where(WeChatMessageRow.openid_hash == openid_hash))
            return consultation_id

    def purge(self, updated_before: datetime, replies_before: datetime) -> int:
        with self._sessions.begin() as session:
            gone = session.execute(delete(WeChatConversationRow).where(WeChatConversationRow.updated < updated_before))
            session.execute(delete(WeChatMessageRow).where(WeChatMessageRow.created < replies_before))
            return int(gone.rowcount)  # type: ignore[attr-defined]
