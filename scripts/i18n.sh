#!/usr/bin/env bash
# UI translations: extract the English msgids from web/ and the N_-marked msgids of the field
# types and domain codes in domain/ and engine/ (their widgets' labels and messages), update the Finnish and Swedish
# catalogs, compile them. Translate web/translations/{fi,sv}/LC_MESSAGES/messages.po in between.
set -euo pipefail
cd "$(dirname "$0")/.."
B=.venv/bin/pybabel
$B -q extract -F web/babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k N_ \
  -o web/translations/messages.pot web domain engine
for lang in fi sv; do
  if [ -f "web/translations/$lang/LC_MESSAGES/messages.po" ]; then
    $B -q update -i web/translations/messages.pot -d web/translations -l "$lang" --no-fuzzy-matching
  else
    $B -q init -i web/translations/messages.pot -d web/translations -l "$lang"
  fi
done
$B -q compile -d web/translations --statistics
