#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# lcx-ingest benchmark: throughput (see bench/ingest_bench.py --help). Loopback only.
# Usage: bench/ingest-throughput.sh [--seconds S] [--json FILE] [...]; BUILD=build-dir
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/ingest_bench.py" throughput "$@"
