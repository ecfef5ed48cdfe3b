"""The one place that wires the concrete pieces: settings -> model and knowledge -> database -> services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine as Database

from symptomcheck.config import Settings
from symptomcheck.engine.assessment import Engine
from symptomcheck.interview import complaint_prevalence, complaints
from symptomcheck.interview.complaint_search import ComplaintSearch
from symptomcheck.interview.text_parser import TextParser
from symptomcheck.knowledge import default_knowledge
from symptomcheck.model import load_model
from symptomcheck.services.consultations import ConsultationService
from symptomcheck.services.wechat import WeChatService
from symptomcheck.storage.database import migrate, open_database
from symptomcheck.storage.repository import SqlConsultationRepository
from symptomcheck.storage.wechat_repository import SqlWeChatRepository


@dataclass
class Container:
    settings: Settings
    engine: Engine
    database: Database
    repository: SqlConsultationRepository
    consultations: ConsultationService
    complaint_search: ComplaintSearch  # over the complaints a consultation can start from
    evidence_search: ComplaintSearch  # over every evidence (for integrators building an evidence list)
    model_version: str
    wechat: WeChatService  # the WeChat conversation (its webhook answers only when the channel is configured)

    def purge(self, retention: timedelta) -> int:
        """Erase what the retention allows no longer: consultations and WeChat conversations; how many."""
        return self.consultations.purge(retention) + self.wechat.purge(retention)

    def close(self) -> None:
        self.database.dispose()


def build(settings: Settings, run_migrations: bool = True) -> Container:
    knowledge = default_knowledge()
    model = load_model(settings.model_path)
    engine = Engine(model, knowledge)
    database = open_database(settings.database_url, pool_size=settings.pool_size)
    if run_migrations:
        migrate(database)
    repository = SqlConsultationRepository(database)
    prevalence = complaint_prevalence(engine)
    parser = TextParser(knowledge)
    parser.parse("发烧")  # loads the Chinese segmenter now (about a second) rather than in the first request
    complaint_search = ComplaintSearch(knowledge, complaints(engine), prevalence, parser=parser)
    evidence_search = ComplaintSearch(knowledge, knowledge.evidence_codes, prevalence, parser=parser)
    consultations = ConsultationService(engine, repository, complaint_search, parser=parser)
    return Container(
        settings=settings,
        engine=engine,
        database=database,
        repository=repository,
        consultations=consultations,
        complaint_search=complaint_search,
        evidence_search=evidence_search,
        model_version=model.version,
        wechat=WeChatService(consultations, SqlWeChatRepository(database)),
    )
