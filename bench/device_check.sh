#!/usr/bin/env bash
# One-shot device check (GPU machine): CUDA tests, CUDA and CPU benchmarks, Shapes tuning.
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
O=${OUT:-/tmp/out}; mkdir -p "$O"
{ nvidia-smi -L; python3 -c "import torch, torchvision; print(torch.__version__, torchvision.__version__, torch.cuda.is_available())"; nproc; } > "$O/env.txt" 2>&1
cat "$O/env.txt"
timeout 90 python3 -m pytest tests/test_engine_cuda.py -q -p no:cacheprovider > "$O/cuda_tests.txt" 2>&1; tail -3 "$O/cuda_tests.txt"
timeout 120 python3 bench/train.py --device cuda --rounds 3 > "$O/bench_cuda.txt" 2>&1; cat "$O/bench_cuda.txt"
timeout 120 python3 bench/train.py --device cpu --threads 2 --rounds 3 > "$O/bench_cpu2.txt" 2>&1; cat "$O/bench_cpu2.txt"
timeout 60 python3 bench/train.py --device cpu --threads 2 --rounds 2 --preset lenet5 > "$O/bench_cpu2_lenet.txt" 2>&1; cat "$O/bench_cpu2_lenet.txt"
