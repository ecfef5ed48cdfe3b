#!/usr/bin/env bash
# Restart the symptomcheck instances one at a time, each only once the previous one is ready again, so the
# load balancer always has a ready instance. Usage: deploy/rolling-restart.sh 8001 8002 [...]
set -euo pipefail
for port in "$@"; do
    systemctl restart "symptomcheck@${port}"
    for _ in $(seq 120); do
        if curl -fs "http://127.0.0.1:${port}/readyz" > /dev/null; then
            echo "symptomcheck@${port} ready"
            continue 2
        fi
        sleep 0.5
    done
    echo "symptomcheck@${port} did not become ready: stopping the rollout" >&2
    exit 1
done
