#!/usr/bin/env bash
# One-shot device check on a GPU machine: CUDA tests and benchmark, CPU benchmarks on 2 threads,
# Shapes default on 2 CPU threads. `bash bench/device_check.sh cpu` skips the CUDA benchmark.
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
O=${OUT:-/tmp/out}; mkdir -p "$O"
step() { local name=$1 limit=$2; shift 2; timeout "$limit" "$@" > "$O/$name.txt" 2>&1; tail -12 "$O/$name.txt"; }
{ nvidia-smi -L; python3 -c "import torch; print(torch.__version__, torch.cuda.is_available())"; nproc; } 2>&1
step cuda_tests 90 python3 -m pytest tests/test_engine_cuda.py -q -p no:cacheprovider
[ "${1:-all}" = "all" ] && step bench_cuda 120 python3 bench/train.py --device cuda --rounds 3
step bench_cpu2 120 python3 bench/train.py --device cpu --threads 2 --rounds 3
step bench_cpu2_lenet 90 python3 bench/train.py --device cpu --threads 2 --rounds 3 --preset lenet5
step shapes_cpu2 180 python3 bench/shapes_check.py --threads 2 --set device=cpu
