#!/bin/bash
# Load test of attune serve (docs/BENCHMARKS.md, "The review desk"):
# vegeta reads one proposal through the JSON API of a running attune serve
# while one-shot attune run cycles of the same DAO run back to back on the
# same SQLite store. RATES (requests/s, space-separated) default to
# "2000 4000"; each attack lasts 20 s. Needs curl and python3.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${D:-/tmp/attune-loadtest}; rm -rf $D; mkdir -p $D
GOBIN=$D/bin go install github.com/tsenart/vegeta/v12@v12.13.0
cp $ROOT/configs/examples/compound/attune.yaml $ROOT/configs/examples/compound/history.json $D/
sed -i 's/^schedule:.*//' $D/attune.yaml
echo "schedule: \"@every 24h\"" >> $D/attune.yaml
echo "out: $D/out" >> $D/attune.yaml
export ATTUNE_LOAD_STEWARD=load-steward-token-0123456789abcdef
cat > $D/auth.yaml <<A
tokens:
  - {name: load, role: steward, env: ATTUNE_LOAD_STEWARD}
A
go build -o $D/bin/attune $ROOT/cmd/attune
$D/bin/attune serve --config $D/attune.yaml --store sqlite:$D/attune.db --listen 127.0.0.1:18080 --auth $D/auth.yaml --no-track-record > $D/serve.log 2>&1 &
SP=$!
trap "kill $SP 2>/dev/null || true" EXIT
for i in $(seq 1 300); do grep -q 'cycle pending_review' $D/serve.log && break; sleep 1; done
H="Authorization: Bearer $ATTUNE_LOAD_STEWARD"
ID=$(curl -s -H "$H" http://127.0.0.1:18080/api/v1/proposals | python3 -c 'import json,sys; print(json.load(sys.stdin)["cycles"][0]["id"])')
echo "proposal $ID"
# keep a cycle running: one-shot attune run cycles of the same DAO on the
# same store, one after another, each with a new seed (so a new cycle)
( i=1; while true; do $D/bin/attune run --config $D/attune.yaml --store sqlite:$D/attune.db --out $D/out --seed $i --no-track-record > /dev/null 2>>$D/runs.log; echo "run $i exit $?" >> $D/runs.txt; i=$((i+1)); done ) &
RP=$!
trap "kill $SP $RP 2>/dev/null; pkill -f \"$D/bin/attune run\" || true" EXIT
echo "GET http://127.0.0.1:18080/api/v1/proposals/$ID" > $D/targets.txt
for rate in ${RATES:-2000 4000}; do
  $D/bin/vegeta attack -targets $D/targets.txt -header "$H" -rate $rate -duration 20s -workers 16 | tee $D/res-$rate.bin | $D/bin/vegeta report
done
cat $D/runs.txt
grep -c 'cycle pending_review\|msg="cycle' $D/serve.log || true
