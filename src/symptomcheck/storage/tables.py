"""The tables: one row per consultation (who, language, summary, version) and one row per answer.

No name, contact or free text is stored: a consultation is age, sex, language, who it is for (the person
answering, a child or another adult), the complaint's evidence code and the coded answers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, SmallInteger, String, Text, TypeDecorator, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no offset: it is restored on read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the storage takes timezone-aware UTC datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ConsultationRow(Base):
    __tablename__ = "consultations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # +1 on every change: the compare-and-set of concurrent writes
    created: Mapped[datetime] = mapped_column(UtcDateTime)
    updated: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the retention clock
    age: Mapped[int] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(1))
    language: Mapped[str] = mapped_column(String(8))
    complaint: Mapped[str] = mapped_column(String(16))
    # who it is for (self, child, adult): age and sex are always the patient's; rows from before it are 'self'
    subject: Mapped[str] = mapped_column(String(8), server_default=text("'self'"), default="self")
    finished: Mapped[bool] = mapped_column(Boolean)
    triage_level: Mapped[str] = mapped_column(String(32))
    creation_key: Mapped[str | None] = mapped_column(String(200), unique=True)  # SHA-256 of the Idempotency-Key
    # SHA-256 of the canonical request that came with the key: the same key with another request is refused
    creation_request: Mapped[str | None] = mapped_column(String(64))


class AnswerRow(Base):
    __tablename__ = "answers"

    consultation_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    # 0 for the first question after the complaint; -n .. -1 for what was said with the complaint, in that order
    turn: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    answer_values: Mapped[str] = mapped_column(Text)  # JSON list of value codes
    answered: Mapped[datetime] = mapped_column(UtcDateTime)


class WeChatConversationRow(Base):
    """Where a WeChat user is in the conversation. The key is a keyed hash of the OpenID, never the OpenID."""

    __tablename__ = "wechat_conversations"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # +1 on every change: the compare-and-set of concurrent messages
    stage: Mapped[str] = mapped_column(String(24))
    consultation_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("consultations.id", ondelete="SET NULL"), index=True
    )
    data: Mapped[str] = mapped_column(Text)  # JSON: language, age, sex, complaint candidates, question shown
    updated: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the retention clock


class WeChatMessageRow(Base):
    """The reply sent to each message, so that WeChat's retries of a message get the same reply, applied once."""

    __tablename__ = "wechat_messages"

    openid_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_key: Mapped[str] = mapped_column(String(64), primary_key=True)  # the MsgId (events: time and kind)
    reply: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
