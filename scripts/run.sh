#!/usr/bin/env bash
# `make run`: creates the demo database when there is none and shows what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."
CADUCE=$1
DB=$2
"$CADUCE" --db "$DB" init --demo
echo
echo "Structures :"
"$CADUCE" --db "$DB" structure list
echo
echo "Comptes :"
"$CADUCE" --db "$DB" account list
echo
"$CADUCE" --db "$DB" account show secretariat.cardiologie@chu-demo.fr || true
echo
echo "Essayez : $CADUCE --db $DB account search dup"
echo "          $CADUCE --db $DB audit verify"
