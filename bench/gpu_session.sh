#!/bin/bash
# One device call that produces every GPU number of the README (results in $OUT/*.jsonl).
# Needs .whl (streamlit, plotly, umap-learn, pynndescent, defusedxml and their missing deps) and .data carried.
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/graphcl_out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
  && export PYTHONPATH=/tmp/site:${PYTHONPATH:-} || exit 1
export GRAPHCL_DATA_DIR=$PWD/.data/planetoid GRAPHCL_OFFLINE=1
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
j() { grep '^{' | tee -a "$OUT/$1" | cut -c1-700; }
[ -n "${EXTRA:-}" ] && { echo "=== extra $(date +%T)"; bash -c "$EXTRA" 2>&1 | grep -v Warn | tail -40 | cut -c1-400; }
echo "=== speed cora $(date +%T)"
timeout 100 python3 bench/speed.py --both --cases cora_margin,cora_infonce,citeseer_margin 2>&1 | j speed.jsonl
echo "=== app $(date +%T)"
timeout 70 python3 bench/app_timing.py --graph Cora 2>&1 | j app.jsonl
echo "=== synthetic $(date +%T)"
timeout 80 python3 bench/speed.py --both --no-accuracy --cases syn_100k,syn_1m 2>&1 | j speed.jsonl
echo "=== projection $(date +%T)"
timeout 150 python3 bench/projection.py 2>&1 | j projection.jsonl
echo "=== gpu tests $(date +%T)"
timeout 40 python3 -m pytest tests/test_speed_paths.py -q -x -p no:cacheprovider 2>&1 | tail -3
echo "=== quality $(date +%T)"
timeout 200 python3 bench/quality.py --device cuda --seeds 0,1,2,3,4 --jobs 8 2>&1 | j quality.jsonl
echo "=== done $(date +%T)"
