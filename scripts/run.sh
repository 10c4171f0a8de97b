#!/bin/sh
# `make run`: on the first start, create a team and its admin (the
# one-time password and admin key are printed once and kept in
# .visor-admin.json, readable only by you), then serve.
set -eu
VISOR=$1
DB=$2
LISTEN=$3
CREDS=.visor-admin.json

if [ ! -f "$CREDS" ]; then
	umask 077
	"$VISOR" init --db "$DB" --team "My team" --admin-email admin@example.com --json > "$CREDS"
fi

KEY=$(sed -n 's/.*"admin_key": *"\([^"]*\)".*/\1/p' "$CREDS")
PASSWORD=$(sed -n 's/.*"password": *"\([^"]*\)".*/\1/p' "$CREDS")
cat <<MSG

Visor is starting on http://$LISTEN (database $DB).

  Admin API   curl -H "Authorization: Bearer $KEY" http://$LISTEN/admin/api/groups
  Sign-in     admin@example.com / $PASSWORD
              (kept in $CREDS; delete it, ${DB#sqlite:} and ${DB#sqlite:}.key to start over)

The README's tour walks you through groups, tokens and customers. Ctrl-C stops.

MSG
exec "$VISOR" serve --db "$DB" --listen "$LISTEN"
