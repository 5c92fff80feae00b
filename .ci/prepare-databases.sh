#!/usr/bin/env bash
# Creates what the integration tests need on the local PostgreSQL and MariaDB (idempotent).
set -euo pipefail
psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE test"
mysql -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test"
