"""The fitted model as a versioned artifact that records where it came from.

An artifact is one `.npz` file: the arrays, and a JSON header with the format version, the codes that
index the arrays, the engine settings tuned with it, and its provenance (sources with their SHA-256,
patient counts, the command that built it, the date).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from symptomcheck.model.errors import ModelError

FORMAT_VERSION = 3
READABLE_VERSIONS = (2, 3)  # format 2: no cell provenance, the differential model covers every condition
# the model every channel uses unless told otherwise: the broad model, over the whole condition catalogue (fitted
# from DDXPlus and the visit records)
SHIPPED_MODEL = Path(__file__).parent / "data" / "broad.npz"
# the 49-condition DDXPlus model, shipped beside it for the DDXPlus benchmark's own figures (see the README)
DDXPLUS_MODEL = Path(__file__).parent / "data" / "model.npz"

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class DifferentialWeights:
    """A learned model of the differential list (see `symptomcheck.engine.differential`).

    A network with one hidden layer: standardised features x (F,) -> h = tanh(x w_ + b_) (H,) ->
    score = sigmoid(h w2_ + b2_) (D,), the probability that each condition belongs to the list.
    `mean_` and `scale_` (F,) standardise the features.
    """

    w_: FloatArray  # (F, H)
    b_: FloatArray  # (H,)
    w2_: FloatArray  # (H, D)
    b2_: FloatArray  # (D,)
    mean_: FloatArray
    scale_: FloatArray


@dataclass(frozen=True)
class Model:
    """Priors and likelihoods over D conditions and E evidences.

    `p_outcome_` (T, D) stacks, evidence after evidence, P(outcome | d): for a yes/no evidence the rows
    (no, yes); for a categorical one a row per value (summing to 1 over the evidence's rows); for a
    multi-choice one a row per value, the probability that the value is the one a patient names (as the
    statistics were counted). Follow-up questions are conditioned on their parent being answered yes.
    `offsets_` (E + 1,) gives each evidence's rows.
    """

    conditions: tuple[str, ...]
    evidences: tuple[str, ...]
    outcomes: tuple[tuple[str, ...], ...]
    p_outcome_: FloatArray
    offsets_: NDArray[np.int64]
    p_prior_: FloatArray  # (D,)
    p_age_band_: FloatArray  # (D, bands)
    p_sex_: FloatArray  # (D, 2)
    settings: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    differential: DifferentialWeights | None = None
    # where each cell of p_outcome_ comes from (symptomcheck.model.broad.PROVENANCE), shape (T, D)
    provenance_: NDArray[np.int8] | None = None
    # the conditions and evidences the differential model was trained on (all of them when empty)
    differential_conditions: tuple[str, ...] = ()
    differential_evidences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        d = len(self.conditions)
        e = len(self.evidences)
        problems = []
        if self.p_outcome_.shape != (int(self.offsets_[-1]), d):
            problems.append(f"p_outcome_ has shape {self.p_outcome_.shape}, expected ({int(self.offsets_[-1])}, {d})")
        if self.offsets_.shape != (e + 1,) or len(self.outcomes) != e:
            problems.append("offsets_ and outcomes must have one entry per evidence")
        if self.p_prior_.shape != (d,) or self.p_sex_.shape != (d, 2) or self.p_age_band_.shape[0] != d:
            problems.append("priors must have one row per condition")
        if not np.all(np.isfinite(self.p_outcome_)) or np.any(self.p_outcome_ < 0) or np.any(self.p_outcome_ > 1):
            problems.append("p_outcome_ must hold probabilities in [0, 1]")
        if self.provenance_ is not None and self.provenance_.shape != self.p_outcome_.shape:
            problems.append("provenance_ must have the shape of p_outcome_")
        if not set(self.differential_conditions) <= set(self.conditions):
            problems.append("the differential model names conditions the model does not have")
        if problems:
            raise ModelError("inconsistent model: " + "; ".join(problems))

    def rows(self, evidence_index: int) -> slice:
        return slice(int(self.offsets_[evidence_index]), int(self.offsets_[evidence_index + 1]))

    def with_settings(self, **settings: float) -> Model:
        return replace(self, settings={**self.settings, **settings})

    @property
    def version(self) -> str:
        """A short content hash: two artifacts with the same version give the same answers (the same numbers
        under the same condition, evidence and answer codes)."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.conditions, self.evidences, self.outcomes], ensure_ascii=False).encode())
        for array in self._arrays().values():
            digest.update(np.ascontiguousarray(array).tobytes())
        digest.update(json.dumps(self.settings, sort_keys=True).encode())
        return digest.hexdigest()[:12]

    def _arrays(self) -> dict[str, NDArray[Any]]:
        arrays: dict[str, NDArray[Any]] = {
            "p_outcome_": self.p_outcome_,
            "offsets_": self.offsets_,
            "p_prior_": self.p_prior_,
            "p_age_band_": self.p_age_band_,
            "p_sex_": self.p_sex_,
        }
        if self.provenance_ is not None:
            arrays["provenance_"] = self.provenance_
        if self.differential is not None:
            arrays |= {
                "differential_w_": self.differential.w_,
                "differential_b_": self.differential.b_,
                "differential_mean_": self.differential.mean_,
                "differential_scale_": self.differential.scale_,
                "differential_w2_": self.differential.w2_,
                "differential_b2_": self.differential.b2_,
            }
        return arrays

    def save(self, path: Path) -> None:
        header = {
            "format_version": FORMAT_VERSION,
            "conditions": list(self.conditions),
            "evidences": list(self.evidences),
            "outcomes": [list(o) for o in self.outcomes],
            "settings": self.settings,
            "provenance": self.provenance,
            "differential_conditions": list(self.differential_conditions),
            "differential_evidences": list(self.differential_evidences),
        }
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"header": np.array(json.dumps(header, ensure_ascii=False)), **self._arrays()}
        # Written entry by entry with a fixed timestamp (np.savez stamps the current time), so that the same
        # inputs give a byte-identical artifact.
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, array in arrays.items():
                entry = io.BytesIO()
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entry.getvalue())
        if path.is_dir():
            raise ModelError(f"{path}: is a directory; give a file name such as model.npz")
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(path)  # atomic: a crash never leaves a half-written model


def load_model(path: Path = SHIPPED_MODEL) -> Model:
    """Load an artifact written by `Model.save`, refusing another format version."""
    if not path.is_file():
        raise ModelError(f"{path}: no model file there")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with loaded as archive:
            header = json.loads(str(archive["header"]))
            arrays = {name: archive[name] for name in archive.files if name != "header"}
        if not isinstance(header, dict):
            raise ValueError("its header is not an object")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(
            f"{path}: not a symptomcheck model artifact (an .npz written by symptomcheck fit): {error}"
        ) from None
    if header.get("format_version") not in READABLE_VERSIONS:
        raise ModelError(
            f"{path}: model format {header.get('format_version')!r} is not supported; "
            f"this version reads formats {', '.join(map(str, READABLE_VERSIONS))}"
        )
    differential = None
    if "differential_w_" in arrays:
        differential = DifferentialWeights(
            w_=arrays["differential_w_"],
            b_=arrays["differential_b_"],
            mean_=arrays["differential_mean_"],
            scale_=arrays["differential_scale_"],
            w2_=arrays["differential_w2_"],
            b2_=arrays["differential_b2_"],
        )
    try:
        return Model(
            conditions=tuple(header["conditions"]),
            evidences=tuple(header["evidences"]),
            outcomes=tuple(tuple(o) for o in header["outcomes"]),
            p_outcome_=arrays["p_outcome_"],
            offsets_=arrays["offsets_"],
            p_prior_=arrays["p_prior_"],
            p_age_band_=arrays["p_age_band_"],
            p_sex_=arrays["p_sex_"],
            settings=dict(header.get("settings", {})),
            provenance=dict(header.get("provenance", {})),
            differential=differential,
            provenance_=arrays.get("provenance_"),
            differential_conditions=tuple(header.get("differential_conditions", ())),
            differential_evidences=tuple(header.get("differential_evidences", ())),
        )
    except KeyError as error:
        raise ModelError(f"{path}: the artifact lacks {error.args[0]!r}") from None
