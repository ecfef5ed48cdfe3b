"""The consultation as a value, and the steps that move it forward."""

from symptomcheck.interview.consultation import Consultation, ConsultationError, Turn
from symptomcheck.interview.interviewer import (
    StaleAnswerError,
    answer,
    assess,
    complaint_prevalence,
    complaints,
    resume,
    start,
)
from symptomcheck.interview.opening import said_with

__all__ = [
    "Consultation",
    "ConsultationError",
    "StaleAnswerError",
    "Turn",
    "answer",
    "assess",
    "complaint_prevalence",
    "complaints",
    "resume",
    "said_with",
    "start",
]
