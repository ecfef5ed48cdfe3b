# Validation-split sweep (never the report file). Needs /tmp/m.pkl = (model, tune_patients, report_patients),
# built as `symptomcheck fit --exclude` does; trains on the tuning patients minus train_random_sample_500.csv
# and scores on train_random_sample_500.csv. Run from this folder with PYTHONPATH=src:. and one BLAS thread.
import sys, time, pickle, json
import numpy as np
from dataclasses import replace
from pathlib import Path
from symptomcheck.knowledge import default_knowledge
from symptomcheck.engine.tables import compile_tables
from symptomcheck.evaluation.simulate import simulate
from symptomcheck.evaluation.metrics import compute_metrics, EvaluationInput
from symptomcheck.engine.differential import differential, demographic_features
from symptomcheck.patients import read_patients
kb = default_knowledge()
model, tune, report = pickle.load(open('/tmp/m.pkl','rb'))
del report  # never used here
val_keys = {(p.age,p.sex,p.pathology,p.present) for p in read_patients(Path('/work/main/data/ddxplus/train_random_sample_500.csv'), kb)}
val = [p for p in tune if (p.age,p.sex,p.pathology,p.present) in val_keys]
train = [p for p in tune if (p.age,p.sex,p.pathology,p.present) not in val_keys]
KEYS = ['IL','GTPA@1','DDR','DDP','DDF1','DSR','DSP']

def score(t, w, it, sevs=(0.03,0.04,0.05)):
    out = {}
    for sev in sevs:
        t2 = replace(t, settings={**t.settings, 'severe_threshold': sev})
        dd = differential(t2, w, it.log_posterior, it.known_present, it.known_absent, it.known_values, demographic_features([p.age for p in val],[p.sex for p in val]))
        m = compute_metrics(EvaluationInput(val, t2.conditions, t2.severe, t2.level_urgency, dd.p, [frozenset(t2.evidences[j] for j in np.flatnonzero(r)) for r in it.asked], np.zeros(len(val),dtype=int)))
        out[sev] = {k: round(m[k],4) for k in KEYS}
    return out
