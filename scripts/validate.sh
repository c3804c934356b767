#!/usr/bin/env bash
# Run `rasa data validate` and fail on any warning that is not explained in
# scripts/validate-explained-warnings.txt (one pattern per line, each with a comment saying why).
set -uo pipefail
cd "$(dirname "$0")/.."
output=$(RASA_TELEMETRY_ENABLED=false .venv/bin/python -m rasa data validate \
  --domain domain --data data --config config.yml 2>&1)
status=$?
warnings=$(printf '%s\n' "$output" | grep -E "UserWarning|WARNING|ERROR" || true)
patterns=$(grep -v -E '^\s*(#|$)' scripts/validate-explained-warnings.txt || true)
unexplained=$(printf '%s\n' "$warnings" | { if [ -n "$patterns" ]; then grep -v -F -f <(printf '%s\n' "$patterns"); else cat; fi; } | grep -v '^$' || true)
if [ $status -ne 0 ] || [ -n "$unexplained" ]; then
  printf '%s\n' "$output" | tail -40
  echo
  echo "rasa data validate: failed or printed warnings not explained in scripts/validate-explained-warnings.txt:"
  printf '%s\n' "$unexplained"
  exit 1
fi
echo "rasa data validate: passed ($(printf '%s\n' "$warnings" | grep -c . || true) explained warning line(s))."
