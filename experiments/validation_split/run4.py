# Example: python run4.py --h 128 --k 3 --pen 3e-3 --T "[1.25]" --sev "[0.08]"  (one core, about 6 min)
from common import *
from symptomcheck.evaluation.training import train_differential
import argparse
ap = argparse.ArgumentParser()
ap.add_argument('--S', default='{}'); ap.add_argument('--h', type=int, default=128); ap.add_argument('--k', type=int, default=1)
ap.add_argument('--pen', type=float, default=3e-3); ap.add_argument('--tag', default='x')
ap.add_argument('--T', default='[1.0]'); ap.add_argument('--sev', default='[0.04,0.05,0.06]')
a = ap.parse_args()
S = json.loads(a.S)
t = compile_tables(model, kb, **S)
t0 = time.time(); w = train_differential(t, train, hidden=a.h, penalty=a.pen, members=a.k); tt = time.time() - t0
pickle.dump(w, open(f'/tmp/wt_w4_{a.tag}.pkl', 'wb'))
it = simulate(t, val, 30)
for T in json.loads(a.T):
    wt = replace(w, w2_=w.w2_ / T, b2_=w.b2_ / T)
    for k, v in score(t, wt, it, tuple(json.loads(a.sev))).items():
        print(a.tag, S, 'h', a.h, 'k', a.k, 'pen', a.pen, 'T', T, 'sev', k, v, round(tt), flush=True)
