"""The application uvicorn imports (`symptomcheck.api.main:app`): built from the environment's settings.

Each worker process builds its own container (model, knowledge, connection pool); migrations have already
run in `symptomcheck serve` before the workers start.
"""

from __future__ import annotations

from symptomcheck.api.app import create_app
from symptomcheck.api.observability import configure_logging
from symptomcheck.bootstrap import build
from symptomcheck.config import Settings

settings = Settings()
configure_logging(settings.log_level)
app = create_app(build(settings, run_migrations=False))
