#!/usr/bin/env bash
# The GPU training command: every recipe that gains from a GPU (dgm_core.training.train_all: flow-mnist-w32,
# wgan-mnist-b256), inside 8 minutes of GPU time in all, into $OUT (a lent machine's output folder; default
# ./gpu-out). Run it from the repository root on the GPU machine, with the MNIST files in DGM_DATA_DIR:
#
#     DGM_DATA_DIR=/path/to/data OUT=/path/to/out bash tools/gpu_train.sh
#
# 420 s of training and measuring leaves a minute of the 8 for the machine's start and the copy back. A run still
# going when its share is spent stops with a checkpoint in $OUT/checkpoints (continue it: the same command with
# RESUME=1, on a GPU again). $OUT/train_all.json sums up: device, seconds, and per recipe its finished card's metrics
# (the WGAN's recognised share and Fréchet distance as `bench wgan` measures them).
#
# Afterwards, on the development machine (the card's measure decides, never the wish to ship):
#   - flow-mnist-w32 replaces flow-mnist when its card's confident_share is higher than pretrained/flow-mnist.json's
#     (and its frechet_distance lower); wgan-mnist-b256 replaces wgan-mnist when its digit_scores.confident_share in
#     train_all.json is higher than `python -m dgm_core bench wgan`'s figure for the shipped one.
#   - A winner ships under the shipped name: its recipe becomes RECIPES[<shipped name>] in dgm_core/training/
#     (flow.py / wgan.py), its weights and card are copied to pretrained/<shipped name>.{safetensors,json} with
#     "name" and "command" set to the shipped name, and `python -m dgm_core export <shipped name>` refreshes the
#     browser's copy.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu-out}"
PY="${PY:-.venv/bin/python}"
[ -x "$PY" ] || PY=python
: "${DGM_DATA_DIR:?set DGM_DATA_DIR to the folder holding MNIST}"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
"$PY" -m dgm_core train-all --out "$OUT" --device cuda --budget-s "${BUDGET_S:-420}" ${RESUME:+--resume} \
  2>&1 | tee "$OUT.log"
