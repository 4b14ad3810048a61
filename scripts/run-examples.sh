#!/usr/bin/env bash
# Runs every example program as a reader would (`npm start` in its folder), so an
# example that stops working fails CI. Each has a time limit; output is shown.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=0
passed=0
for dir in examples/*/; do
  name=$(basename "$dir")
  script=$(node -e "const s=require('./${dir}package.json').scripts||{}; console.log(s.start ? 'start' : s.demo ? 'demo' : '')")
  if [ -z "$script" ]; then
    echo "example $name: no start script" >&2
    failed=$((failed + 1))
    continue
  fi
  echo "::: example $name (npm run $script)"
  if (cd "$dir" && timeout 600 npm run --silent "$script" </dev/null); then
    passed=$((passed + 1))
  else
    echo "example $name FAILED" >&2
    failed=$((failed + 1))
  fi
done
echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
