#!/usr/bin/env bash
# The repository's setup: install exactly what package-lock.json pins.
set -euo pipefail
npm ci --no-audit --no-fund
echo "node_modules: $(find node_modules -type f | wc -l) files"
