"""How chances are put into words and numbers for people, the same on every channel."""

from __future__ import annotations


def percent(probability: float) -> str:
    """A chance as a person reads it: never 0% or 100%, since nothing here is certain."""
    if probability < 0.01:
        return "<1%"
    if probability > 0.99:
        return ">99%"
    return f"{100 * probability:.0f}%"


def likelihood_key(probability: float) -> str:
    """The message key of the words for a chance ("likely", "possible"...): never a certainty."""
    if probability >= 0.5:
        return "likelihood_high"
    if probability >= 0.2:
        return "likelihood_medium"
    if probability >= 0.05:
        return "likelihood_low"
    return "likelihood_very_low"
