"""symptomcheck: an interactive symptom checker that supports decisions and never diagnoses."""

__version__ = "0.1.0"
