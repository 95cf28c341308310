#!/usr/bin/env bash
# Record every bundled scenario's simulate / staff / staff --verify / sweep outputs (files and
# printed tables) with fixed seeds into DIR, so two versions of the code compare byte for byte:
#   benchmarks/record_outputs.sh /tmp/before   # on the old commit
#   benchmarks/record_outputs.sh /tmp/after    # on the new one
#   diff -r /tmp/before /tmp/after && echo identical
# Wall-clock figures (a sweep's points.log and each point's "elapsed") and the checkout's path are
# left out: they are
# the only things that differ between two runs of the same code. CCSIM names the command.
set -eu
out=${1:?usage: record_outputs.sh DIR}
ccsim=${CCSIM:-ccsim}
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"; mkdir -p "$out"; cd "$out"
for path in "$root"/scenarios/*.toml; do
  s=$(basename "$path" .toml)
  mkdir -p "$s"; reps=10; [ "$s" = forecast_week ] && reps=4
  $ccsim simulate "$path" --replications $reps --seed 3 --jobs 2 --out "$s/simulate" > "$s/simulate.txt"
  $ccsim staff "$path" --seed 3 --out "$s/staff" > "$s/staff.txt"
  $ccsim staff "$path" --verify --replications $reps --seed 3 --jobs 2 --out "$s/verify" \
    > "$s/verify.txt" 2> "$s/verify.progress"
done
$ccsim sweep "$root"/scenarios/textbook.toml --set groups.phones.agents=13..15 \
  --set channels.voice.aht=170s,190s --replications 4 --seed 3 --jobs 2 --out sweep > sweep.txt
$ccsim sweep "$root"/scenarios/omnichannel_day.toml --staff --set channels.voice.aht=260s,300s \
  --replications 3 --seed 3 --jobs 2 --out sweep_staff > sweep_staff.txt
rm sweep/points.log sweep_staff/points.log
sed -i '/"elapsed"/d' sweep/points/*.json sweep_staff/points/*.json
sed -i "s|$root/||" sweep/sweep.json sweep_staff/sweep.json  # where the checkout lies
echo "recorded into $out"
