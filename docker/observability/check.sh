#!/usr/bin/env bash
# Checks the compose profile `observability` (docker/observability) with Prometheus' own tools, without Docker
# or a network: the alert rules and their unit tests, prometheus.yml, and every query of the Grafana dashboards.
# Needs promtool (Debian: apt-get install prometheus) and jq; python3 with jsonschema is used when present.
# Prints one line per check; exits non-zero when one fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
obs=docker/observability
rules_dir=$obs/prometheus/rules
dashboards=("$obs"/grafana/dashboards/*.json)

for tool in promtool jq; do
  command -v "$tool" >/dev/null || { echo "FAIL  $tool is needed (promtool: apt-get install prometheus)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

# run NAME COMMAND...: one line, ok or FAIL (then the command's output, indented). errexit does not apply inside
# the commands (they run in a condition): the check functions return their failures themselves.
run() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    echo "ok    $name"
  else
    echo "FAIL  $name"
    printf '%s\n' "$out" | sed 's/^/      /'
    failed=1
  fi
}

# (a) the alert rules, and their unit tests
rule_files=()
for f in "$rules_dir"/*.yml; do
  case $f in *.test.yml) ;; *) rule_files+=("$f") ;; esac
done
run "rules: promtool check rules ${rule_files[*]}" promtool check rules "${rule_files[@]}"
for t in "$rules_dir"/*.test.yml; do
  run "rules: promtool test rules $t" promtool test rules "$t"
done

# (b) prometheus.yml, on a copy whose container paths point here: the rules directory, and the two files the
# compose service writes the operator's credentials to (here temp files).
printf '%s' check-user >"$tmp/operator-user"
printf '%s' check-password >"$tmp/operator-password"
sed -e "s#/etc/prometheus/rules/#$root/$rules_dir/#g" \
    -e "s#/run/prometheus/operator-user#$tmp/operator-user#g" \
    -e "s#/run/prometheus/operator-password#$tmp/operator-password#g" \
    "$obs/prometheus/prometheus.yml" >"$tmp/prometheus.yml"
# basic_auth.username_file needs Prometheus >= 2.49 (the image runs 2.53.4); an older promtool (Debian
# bookworm's is 2.42) refuses the key, so the copy then names the user in place of the file.
cat >"$tmp/probe.yml" <<EOF
scrape_configs:
  - job_name: probe
    basic_auth: {username_file: $tmp/operator-user, password_file: $tmp/operator-password}
    static_configs: [{targets: ["probe:1"]}]
EOF
config_note=""
if ! promtool check config "$tmp/probe.yml" >/dev/null 2>&1; then
  sed -i -e "s#username_file: $tmp/operator-user#username: check-user#" "$tmp/prometheus.yml"
  config_note=" (this promtool predates basic_auth.username_file: checked with username in its place)"
fi
check_config() {
  local out
  out=$(promtool check config "$tmp/prometheus.yml" 2>&1) || { printf '%s\n' "$out"; return 1; }
  # the rule_files glob must load every rule file of the directory, and no unit test
  for f in "${rule_files[@]}"; do
    grep -qF "Checking $root/$f" <<<"$out" || { echo "prometheus.yml's rule_files do not load $f"; return 1; }
  done
  if grep -q '\.test\.yml' <<<"$out"; then
    echo "prometheus.yml's rule_files load a unit test file:"
    printf '%s\n' "$out"
    return 1
  fi
}
run "config: promtool check config $obs/prometheus/prometheus.yml$config_note" check_config

# (c) every query of every dashboard, parsed by Prometheus' own parser: each becomes a recording rule
# (dashboard:check:N) of a temp rules file (JSON, which is YAML), with Grafana's variables replaced.
jq -s '
  def grafana_vars($names):
    gsub("\\$\\{?__rate_interval\\}?"; "5m") | gsub("\\$\\{?__interval\\}?"; "1m")
    | gsub("\\$\\{?__range\\}?"; "1h")
    | reduce $names[] as $v (.; gsub("\\$\\{" + $v + "(:[a-z]+)?\\}"; "x") | gsub("\\$" + $v + "\\b"; "x"));
  [ .[] | . as $d | [ .templating.list[]?.name ] as $names
    | .panels[] | recurse(.panels[]?) | . as $p | .targets[]?
    | { uid: $d.uid, panel: ($p.id | tostring), refId: .refId, expr: (.expr | grafana_vars($names)) } ]
  | { groups: [ { name: "dashboard-check",
                  rules: [ to_entries[] | { record: "dashboard:check:\(.key + 1)", expr: .value.expr,
                           labels: { dashboard: .value.uid, panel: .value.panel, ref_id: .value.refId } } ] } ] }
' "${dashboards[@]}" >"$tmp/dashboard-rules.yml" 2>"$tmp/jq.err" \
  && queries=$(jq '.groups[0].rules | length' "$tmp/dashboard-rules.yml") || queries="?"
check_queries() {
  [ "$queries" != "?" ] || { cat "$tmp/jq.err"; return 1; }
  [ "$queries" -gt 0 ] || { echo "no query found in ${dashboards[*]}"; return 1; }
  # a variable left over is one of no dashboard's templating
  local left
  left=$(jq -r '.groups[0].rules[] | select(.expr | test("\\$[A-Za-z_{]"))
    | "\(.labels.dashboard) panel \(.labels.panel): \(.expr)"' "$tmp/dashboard-rules.yml") || return 1
  [ -z "$left" ] || { echo "unknown Grafana variables:"; printf '%s\n' "$left"; return 1; }
  promtool check rules "$tmp/dashboard-rules.yml"
}
run "dashboards: $queries queries parse (promtool check rules)" check_queries

# The dashboards' structure: what the JSON schema says (when python3 has jsonschema) and what it cannot say.
check_structure() {
  jq -e -s -r '
    def repeats: length != (unique | length);
    def prometheus: . == {"type": "prometheus", "uid": "prometheus"};
    ([ .[].uid ] | repeats | not) as $uids
    | [ .[] | . as $d | [ .panels[] | recurse(.panels[]?) ] as $ps
        | ( if [ $ps[].id ] | repeats then "\($d.uid): panel ids repeat" else empty end ),
          ( $ps[] | select(.gridPos.x + .gridPos.w > 24) | "\($d.uid) panel \(.id): x + w > 24" ),
          ( $ps[] | select(.targets and ([ .targets[].refId ] | repeats)) | "\($d.uid) panel \(.id): refIds repeat" ),
          ( $ps[] | select(.type != "row" and (.datasource | prometheus | not))
            | "\($d.uid) panel \(.id): datasource is not {type: prometheus, uid: prometheus}" ),
          ( $ps[] | . as $p | .targets[]? | select((.datasource | prometheus | not) or (.legendFormat | type) != "string")
            | "\($d.uid) panel \($p.id) target \(.refId): datasource or legendFormat missing" ) ]
    | if $uids and length == 0 then "ok"
      else (if $uids then . else . + ["dashboard uids repeat"] end | join("\n") + "\n" | halt_error(1)) end
  ' "${dashboards[@]}" >/dev/null || return 1
  if command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null; then
    python3 - "$obs/grafana/dashboard.schema.json" "${dashboards[@]}" <<'EOF'
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
bad = 0
for path in sys.argv[2:]:
    for error in validator.iter_errors(json.load(open(path))):
        bad += 1
        print(f"{path}: {'/'.join(map(str, error.absolute_path))}: {error.message}")
sys.exit(1 if bad else 0)
EOF
  else
    echo "(python3 jsonschema missing: the schema itself was not applied)"
  fi
}
if command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null; then
  structure_note="dashboard.schema.json and"
else
  structure_note="(no python3 jsonschema: schema skipped)"
fi
run "dashboards: $structure_note unique ids, x + w <= 24, unique refIds, datasources (${#dashboards[@]} files)" \
  check_structure

exit "$failed"
