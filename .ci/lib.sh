# Shared by .ci/run and ./demo: pick a JDK >= 21; make sure RabbitMQ and MariaDB/MySQL answer on loopback.
# shellcheck shell=bash

log() { printf '[%s] %s\n' "${LOG_TAG:-ci}" "$*"; }

java_major() { "$1/bin/java" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}'; }

select_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    if [ "$(java_major "$candidate")" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "[${LOG_TAG:-ci}] No JDK of version 21 or newer found (looked at JAVA_HOME and /usr/lib/jvm); install one or set JAVA_HOME." >&2
  exit 1
}

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() { # port, name, seconds
  local i
  for ((i = 0; i < $3; i++)); do
    answers "$1" && { log "$2 answers on 127.0.0.1:$1"; return 0; }
    sleep 1
  done
  echo "[${LOG_TAG:-ci}] $2 does not answer on 127.0.0.1:$1 after $3 s" >&2
  return 1
}

ensure_rabbitmq() {
  if ! answers 5672; then
    log "RabbitMQ is down: starting it"
    rabbitmq-server -detached || true
    wait_for 5672 RabbitMQ 120
  fi
  # The broker accepts connections before it is fully booted; wait until it says so.
  if command -v rabbitmqctl >/dev/null; then
    timeout 120 rabbitmqctl await_startup >/dev/null 2>&1 || true
  fi
  log "RabbitMQ ready"
}

ensure_mariadb() {
  if ! answers 3306; then
    log "MariaDB is down: starting it"
    if [ -d /etc/mysql ] && ! grep -Rqs '^\s*user\s*=' /etc/mysql/my.cnf /etc/mysql/mariadb.conf.d/ 2>/dev/null; then
      printf '[mysqld]\nuser = mysql\n' > /etc/mysql/mariadb.conf.d/99-ci-user.cnf || true
    fi
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    wait_for 3306 MariaDB 120
  fi
  if command -v mariadb >/dev/null && ! mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1; then
    log "root cannot log in over TCP with an empty password: granting it (local CI database only)"
    mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD(''); FLUSH PRIVILEGES;" || true
  fi
  log "MariaDB ready"
}

