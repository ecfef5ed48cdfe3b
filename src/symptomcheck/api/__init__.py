"""The REST API (FastAPI): routes per resource, request schemas, errors as application/problem+json."""
