#!/usr/bin/env bash
# kill-run.sh SIGNAL WHEN DIR RACESIM ARG...
# Starts `RACESIM ARG...` in DIR, sends SIGNAL (KILL, INT, ...) at WHEN, waits for it and
# prints its exit status. WHEN is a delay in seconds, or "tmp+<seconds>": that long after a
# temporary results directory (.*.tmp-*) first appears in DIR, i.e. while the results are
# being written (polled every millisecond; the signal is sent anyway after 60 s).
set -u
sig=$1 when=$2 dir=$3
shift 3
cd "$dir" || exit 99
"$@" >/dev/null 2>&1 &
pid=$!
if [[ $when == tmp+* ]]; then
  for ((i = 0; i < 60000; i++)); do
    if compgen -G ".*.tmp-*" >/dev/null || [[ $(ps -o stat= -p "$pid") == Z* ]]; then break; fi
    sleep 0.001
  done
  when=${when#tmp+}
fi
# Sleep WHEN seconds, but no longer than racesim runs (kill -0 cannot tell: a zombie exists).
sleep "$when" &
sleeper=$!
wait -n -p done "$pid" "$sleeper"
status=$?
if [[ ${done-} == "$pid" ]]; then
  kill "$sleeper" 2>/dev/null
  wait "$sleeper" 2>/dev/null
  echo "$status"
  exit 0
fi
kill -s "$sig" "$pid" 2>/dev/null
wait "$pid"
echo $?
