#!/bin/bash
# One device call: wheels, speed (fast and baseline), fast-without-graph ablation, GPU tests, projection.
# Usage (device machine, repo root): bash bench/run_gpu.sh   (results also in $OUT/*.jsonl)
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/graphcl_out}; mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
  .whl/umap_learn-*.whl .whl/pynndescent-*.whl .whl/defusedxml-*.whl && export PYTHONPATH=/tmp/site:${PYTHONPATH:-}
export GRAPHCL_DATA_DIR=$PWD/.data/planetoid
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader
python3 -c "import torch, torch_geometric, graphcl_core.loaders, umap; print('torch', torch.__version__, 'pyg', torch_geometric.__version__, 'graph-gen', hasattr(torch.cuda.CUDAGraph, 'register_generator_state'))"
SECTIONS=${SECTIONS:-speed ablation tests projection}
for s in $SECTIONS; do
  echo "=== $s $(date +%T)"
  case $s in
    speed) timeout ${SPEED_T:-240} python3 bench/speed.py --both --out "$OUT/speed.jsonl" ${SPEED_ARGS:-} 2>&1 | cut -c1-1500 ;;
    ablation) GRAPHCL_CUDA_GRAPH=0 timeout 60 python3 bench/speed.py --cases cora_margin,cora_infonce,syn_100k \
                --no-accuracy --label fast-no-cuda-graph --out "$OUT/speed.jsonl" 2>&1 | cut -c1-1500 ;;
    tests) timeout 90 python3 -m pytest tests/test_speed_paths.py tests/test_synthetic.py tests/test_trainer.py -q -x \
             -p no:cacheprovider 2>&1 | tail -15 ;;
    diag) timeout 60 python3 bench/diagnose.py --steps 3 --out "$OUT/diagnose.jsonl" 2>&1 | cut -c1-900 ;;
    variants) for v in ${VARIANTS:-GRAPHCL_TF32 GRAPHCL_INFONCE_FAST GRAPHCL_BATCH_VIEWS}; do
                env $v=0 timeout 40 python3 bench/speed.py --cases cora_infonce --label "fast-$v=0" \
                  --out "$OUT/speed.jsonl" 2>&1 | grep train_speed | cut -c1-1200; done ;;
    flaky) for f in ${FLAKY:-0}; do GRAPHCL_FAST=$f timeout 60 python3 -m pytest tests/test_trainer.py -q -p no:cacheprovider \
             -k margin_loss_decreases --tb=short 2>&1 | tail -8; done ;;
    projection) timeout ${PROJ_T:-170} python3 bench/projection.py --out "$OUT/projection.jsonl" 2>&1 | cut -c1-1200 ;;
  esac
done
echo "=== done $(date +%T)"
