"""Age bands and the smoothed estimate of P(age band | condition) and P(sex | condition).

The shipped statistics carry no age or sex dependence, so it is estimated from patient records with
Dirichlet smoothing toward the pooled distribution: with n_d patients of condition d, of whom n_db fall in
band b, P(b | d) = (n_db + alpha * P(b)) / (n_d + alpha), where P(b) is the band frequency over all patients.
A condition seen a handful of times keeps close to the population's age profile; one seen often follows
its own. The same holds for sex with beta pseudo-counts toward 1/2.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Lower bounds of the age bands, in years: infants, toddlers, children, young adults, adults, older adults.
AGE_BAND_STARTS: tuple[int, ...] = (0, 1, 5, 15, 30, 45, 60, 75)
SEXES: tuple[str, ...] = ("F", "M")
AGE_PSEUDO_COUNT = 8.0
SEX_PSEUDO_COUNT = 4.0


def age_band(age: int) -> int:
    """Index of the band holding `age` (ages below 0 count as 0)."""
    band = 0
    for index, start in enumerate(AGE_BAND_STARTS):
        if age >= start:
            band = index
    return band


def sex_index(sex: str) -> int:
    return SEXES.index(sex)


def smoothed_profiles(
    counts_age: NDArray[np.float64],
    counts_sex: NDArray[np.float64],
    age_pseudo_count: float = AGE_PSEUDO_COUNT,
    sex_pseudo_count: float = SEX_PSEUDO_COUNT,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """P(band | d) of shape (D, bands) and P(sex | d) of shape (D, 2) from counts of the same shapes."""
    pooled = counts_age.sum(axis=0) + 1.0  # +1: no band is impossible, even if no patient fell in it
    pooled /= pooled.sum()
    n = counts_age.sum(axis=1, keepdims=True)
    p_age = (counts_age + age_pseudo_count * pooled) / (n + age_pseudo_count)
    n_sex = counts_sex.sum(axis=1, keepdims=True)
    p_sex = (counts_sex + sex_pseudo_count * 0.5) / (n_sex + sex_pseudo_count)
    return p_age, p_sex
