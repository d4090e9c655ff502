#!/usr/bin/env bash
# `make run`: creates the demo database when there is none, shows what it holds,
# then serves on http://localhost:8080 (LISTEN=host:port to change) until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
CADUCE=$1
DB=$2
LISTEN=${LISTEN:-127.0.0.1:8080}
"$CADUCE" --db "$DB" init --demo
echo
echo "Structures :"
"$CADUCE" --db "$DB" structure list
echo
echo "Comptes :"
"$CADUCE" --db "$DB" account list
echo
"$CADUCE" --db "$DB" account show secretariat.cardiologie@chu-demo.fr || true
port=${LISTEN##*:}
cat <<MSG

Connexion (comptes de démonstration, mot de passe « Caduce-Essai-2026 ») :
  claire.petit@chu-demo.fr   administratrice de la structure (MED)
  jean.dupont@chu-demo.fr    médecin (PER), peut ouvrir le secrétariat de cardiologie
  sophie.martin@chu-demo.fr  secrétaire (MED), arrive par défaut dans le secrétariat
  lucas.bernard@chu-demo.fr  interne (INT)
Une adresse ORG ou APP (secretariat.cardiologie@chu-demo.fr) est refusée : on se connecte
avec son compte nominatif, puis on change de compte.

L'interface web arrive avec les prochaines versions ; l'API de connexion répond déjà :
  curl -c /tmp/caduce.jar -H 'Content-Type: application/json' \\
       -d '{"address":"sophie.martin@chu-demo.fr","password":"Caduce-Essai-2026"}' \\
       http://localhost:$port/api/session
  curl -b /tmp/caduce.jar http://localhost:$port/api/me

MSG
exec "$CADUCE" --db "$DB" serve --listen "$LISTEN"
