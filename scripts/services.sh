#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432, trust auth, user postgres, database test) and Redis
# (127.0.0.1:6379) answer: starts them if installed, installs them from Debian's packages if not.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

answers() { # host port
  timeout 2 bash -c ">/dev/tcp/$1/$2" 2>/dev/null
}

wait_for() { # name host port
  for _ in $(seq 1 60); do
    answers "$2" "$3" && return 0
    sleep 0.5
  done
  echo "services: $1 did not start on $2:$3" >&2
  return 1
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if answers 127.0.0.1 5432; then
    echo "services: PostgreSQL answers on 127.0.0.1:5432"
  else
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "services: installing PostgreSQL"
      apt_install postgresql
    fi
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    # The tests connect over TCP as postgres without a password.
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
    echo "services: starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_for PostgreSQL 127.0.0.1 5432
  fi
  if command -v psql >/dev/null 2>&1; then
    if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
      psql -h 127.0.0.1 -U postgres -d postgres -qc 'create database test'
    fi
  fi
}

ensure_redis() {
  # The shared server for the Redis tests; the outage tests start redis-server processes of their
  # own, so the binary must be there even when a server answers.
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "services: installing Redis"
    apt_install redis-server
  fi
  if answers 127.0.0.1 6379; then
    echo "services: Redis answers on 127.0.0.1:6379"
    return
  fi
  echo "services: starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/chittyid-tests.log
  wait_for Redis 127.0.0.1 6379
}

ensure_postgres
ensure_redis
