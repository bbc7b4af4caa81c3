#!/usr/bin/env bash
# Camunda Modeler's own linter over the process files, as a designer sees it in the modeler:
# bpmnlint's recommended rules and bpmnlint-plugin-camunda-compat for a Camunda 7.23 target
# (versions pinned in tools/bpmnlint/package-lock.json). Exits non-zero on any error; warnings
# (implicit joins, style) are printed and allowed. Extra arguments: the files (default processes/*.bpmn).
set -euo pipefail
cd "$(dirname "$0")/.."
tools=tools/bpmnlint
if [ ! -x "$tools/node_modules/.bin/bpmnlint" ] || [ "$tools/package-lock.json" -nt "$tools/node_modules/.package-lock.json" ]; then
  npm ci --prefix "$tools" --no-audit --no-fund --loglevel=error
fi
if [ "$#" -eq 0 ]; then set -- processes/*.bpmn; fi
files=()
for f in "$@"; do files+=("$(realpath "$f")"); done
cd "$tools"  # where its configuration (.bpmnlintrc) and its plugin are found
exec node_modules/.bin/bpmnlint "${files[@]}"
