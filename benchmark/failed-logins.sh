#!/usr/bin/env bash
# CPU that a flood of wrong operator passwords costs a service: starts order-service (built by
# `./mvnw -DskipTests package`) with its operator password configured as a BCrypt hash, as a deployment should
# configure it, sends N requests with a wrong password to an operator endpoint, and prints the CPU seconds the
# service's process spent on them (user + system, from /proc/<pid>/stat), and how they were answered.
# Needs MariaDB/MySQL and RabbitMQ on loopback (as the tests do); uses a database and broker names of its own.
# Usage: benchmark/failed-logins.sh [N (1000)] [port (18181)]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
port=${2:-18181}
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
crypto=$(ls ~/.m2/repository/org/springframework/security/spring-security-crypto/*/spring-security-crypto-*.jar | grep -v sources | tail -1)
logging=$(ls ~/.m2/repository/commons-logging/commons-logging/*/commons-logging-*.jar 2>/dev/null | tail -1 || true)
hash=$(printf 'System.out.println(new org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder().encode("the-right-one"));\n/exit\n' \
  | "${JAVA_HOME:+$JAVA_HOME/bin/}jshell" -q --class-path "$crypto${logging:+:$logging}" 2>/dev/null | grep -o '\$2[aby]\$[^ ]*' | head -1)
[ -n "$hash" ] || { echo "could not make a BCrypt hash" >&2; exit 1; }
db="tally_logins_$$"
log=$(mktemp)
ORDER_PORT=$port OPERATOR_PASSWORD="{bcrypt}$hash" \
ORDER_DB_URL="jdbc:mysql://127.0.0.1:3306/$db?createDatabaseIfNotExist=true&connectionTimeZone=UTC&forceConnectionTimeZoneToSession=true" \
  "$java" -jar order-service/target/order-service-0.1.0-SNAPSHOT-exec.jar --tally.topology.prefix="logins$$." \
  --tally.topology.delete-on-close=true > "$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; mysql -uroot -e "DROP DATABASE IF EXISTS $db" || true; rm -f "$log"; }
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$port/actuator/health" >/dev/null 2>&1 && break
  sleep 1
done
curl -fs "http://127.0.0.1:$port/actuator/health" >/dev/null || { echo "order-service did not start" >&2; tail -20 "$log" >&2; exit 1; }
# the right password once, so that everything on the path is warm
curl -s -o /dev/null -u "operator:the-right-one" "http://127.0.0.1:$port/api/admin/dead-letters"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
before=$(ticks)
start=$(date +%s.%N)
codes=$(seq 1 "$n" | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -u "operator:wrong-{}" \
  "http://127.0.0.1:$port/api/admin/dead-letters" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
end=$(date +%s.%N)
after=$(ticks)
awk -v n="$n" -v t=$((after - before)) -v hz="$hz" -v s="$start" -v e="$end" -v c="$codes" 'BEGIN {
  printf "%d wrong-password requests: %.2f s of CPU in order-service (%.1f ms each), %.1f s wall; answers (count status): %s\n",
    n, t / hz, 1000 * t / hz / n, e - s, c }'
