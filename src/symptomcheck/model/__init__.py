"""The fitted probabilistic model: priors by age band and sex, P(answer | condition), the learned differential."""

from symptomcheck.model.artifact import DDXPLUS_MODEL, SHIPPED_MODEL, DifferentialWeights, Model, load_model
from symptomcheck.model.errors import ModelError

__all__ = ["DDXPLUS_MODEL", "SHIPPED_MODEL", "DifferentialWeights", "Model", "ModelError", "load_model"]
