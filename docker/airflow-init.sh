#!/usr/bin/env bash
# One-shot setup of the hoops stack, run by the `airflow-init` service of docker-compose.yaml.
#
# It runs as root through the image's entrypoint (`bash /opt/hoops/airflow-init.sh`), which has already
# waited for the metadata database. Every step is idempotent: `docker compose up` runs it on every start.
set -euo pipefail

AIRFLOW_UID="${AIRFLOW_UID:-50000}"
auth_file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:?not set}"

echo "hoops init: Airflow $(airflow version)"

# 1. Named volumes start out owned by root: give them to the user the Airflow services run as.
mkdir -p /opt/airflow/logs "${HOOPS_STATE_DIR:?not set}" "$(dirname "${auth_file}")"
chown -R "${AIRFLOW_UID}:0" /opt/airflow/logs "${HOOPS_STATE_DIR}" "$(dirname "${auth_file}")"

# 2. Airflow's metadata schema.
airflow db migrate

# 3. The Simple auth manager's login (Airflow 3's default auth manager): it reads the passwords of the
#    users in AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS from this file and only generates (and prints) a
#    random one for a user that is missing from it. Written on every start, so a changed
#    AIRFLOW_ADMIN_PASSWORD takes effect after `docker compose up`.
umask 077
python - <<'PY'
import json
import os

path = os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
user = os.environ["HOOPS_ADMIN_USERNAME"]
password = os.environ["HOOPS_ADMIN_PASSWORD"]
if not password:
    raise SystemExit("AIRFLOW_ADMIN_PASSWORD is empty: set it in .env")
with open(path, "w") as f:
    json.dump({user: password}, f)
    f.write("\n")
print(f"hoops init: login for user {user!r} written to {path}")
PY
chown "${AIRFLOW_UID}:0" "${auth_file}"

# 4. The pool that bounds concurrent CBBD API tasks (1 slot: the per-task rate limit is the global one).
airflow pools set cbbd_api 1 "CBBD API calls"

# 5. Connections: the warehouse (database `hoops` on the stack's postgres) and the CBBD key. Written to a
#    private temporary file and imported, so the secrets never appear on a command line.
conn_file="$(mktemp --suffix .json)"
trap 'rm -f "${conn_file}"' EXIT
python - "${conn_file}" <<'PY'
import json
import os
import sys

connections = {
    "hoops_postgres": {
        "conn_type": "postgres",
        "host": "postgres",
        "port": 5432,
        "login": os.environ["HOOPS_PG_USER"],
        "password": os.environ["HOOPS_PG_PASSWORD"],
        "schema": "hoops",
    },
    "cbbd_default": {
        "conn_type": "generic",
        "host": os.environ.get("CBBD_BASE_URL") or "https://api.collegebasketballdata.com",
        "password": os.environ.get("CBBD_API_KEY") or None,
    },
}
with open(sys.argv[1], "w") as f:
    json.dump(connections, f)
if not os.environ.get("CBBD_API_KEY"):
    print("hoops init: CBBD_API_KEY is empty: cbbd_default has no key (set it in .env for the CBBD DAGs)")
PY
# Deleted first: an import over an existing connection keeps fields that are now empty (an old key).
for conn_id in hoops_postgres cbbd_default; do
  airflow connections delete "${conn_id}" >/dev/null 2>&1 || true
done
airflow connections import --overwrite "${conn_file}"

echo "hoops init: done"
