"""The knowledge base: conditions, evidences, the triage table and the texts, validated at load."""

from symptomcheck.knowledge.base import LIST_SEPARATOR, Advice, FrenchCodes, KnowledgeBase
from symptomcheck.knowledge.errors import KnowledgeError
from symptomcheck.knowledge.loader import DATA_DIR, default_knowledge, load_knowledge
from symptomcheck.knowledge.protocols import ComplaintFamily, ProtocolQuestion, Trigger
from symptomcheck.knowledge.types import (
    LANGUAGES,
    MAX_CODE_LENGTH,
    AnswerValue,
    BodyRegion,
    Condition,
    Evidence,
    EvidenceKind,
    Language,
    RedFlag,
    Synonym,
    Text,
    TriageLevel,
    TriageRule,
)

__all__ = [
    "DATA_DIR",
    "LANGUAGES",
    "LIST_SEPARATOR",
    "MAX_CODE_LENGTH",
    "Advice",
    "AnswerValue",
    "BodyRegion",
    "ComplaintFamily",
    "Condition",
    "Evidence",
    "EvidenceKind",
    "FrenchCodes",
    "KnowledgeBase",
    "KnowledgeError",
    "Language",
    "ProtocolQuestion",
    "RedFlag",
    "Synonym",
    "Text",
    "TriageLevel",
    "TriageRule",
    "Trigger",
    "default_knowledge",
    "load_knowledge",
]
