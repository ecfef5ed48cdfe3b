"""The consultation as a value, and the steps that move it forward."""

from symptomcheck.interview.consultation import Consultation, ConsultationError, Subject, Turn, subject_of
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
    "Subject",
    "Turn",
    "answer",
    "assess",
    "complaint_prevalence",
    "complaints",
    "resume",
    "said_with",
    "start",
    "subject_of",
]
