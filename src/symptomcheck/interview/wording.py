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


# The sex the statistics distinguish, as people say it in each language and on each channel: the local words
# and their initials (f/m in English, f/h in French, 女/男 in Chinese), not only the codes F and M.
FEMALE_WORDS = frozenset(
    {"f", "female", "woman", "femme", "féminin", "feminin", "女", "女性", "女的", "女士", "girl", "fille"}
)
MALE_WORDS = frozenset(
    {"m", "male", "man", "h", "homme", "masculin", "男", "男性", "男的", "男士", "boy", "garçon", "garcon"}
)


def sex_code(text: str) -> str | None:
    """ "F" or "M" for what a person typed (any language, any case, surrounding spaces ignored), else None."""
    said = text.strip().casefold()
    if said in FEMALE_WORDS:
        return "F"
    if said in MALE_WORDS:
        return "M"
    return None
