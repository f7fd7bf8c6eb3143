#!/usr/bin/env bash
# File-system faults that a root test process cannot fake with chmod (issue 4):
# a read-only source mount, a full file system, a read-only target folder, and
# permission errors seen by an unprivileged user. Uses a private mount namespace
# (unshare -m) and tmpfs; exits 77 (skipped) where the machine does not allow it.
# tests/fs_faults.sh KMS_MIGRATE_BIN KMS_GEN_STORE_BIN FIXTURES_DIR WORK_DIR
set -uo pipefail
bin=$1 gen=$2 fixtures=$3 work=$4
rm -rf "$work"; mkdir -p "$work"
if ! unshare -m true 2>/dev/null; then echo "fs-faults: skipped (no mount namespaces here)"; exit 77; fi
export bin gen fixtures work
unshare -m bash -euo pipefail <<'INNER'
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }
mount --make-rprivate / 2>/dev/null || true

# 1. The source on a read-only mount: everything works, nothing is written there.
mkdir -p "$work/ro" "$work/out"
mount -t tmpfs -o size=8m tmpfs "$work/ro"
cp -a "$fixtures/sample-store/." "$work/ro/"
mount -o remount,ro "$work/ro"
set +e
"$bin" upgrade --yes --source "$work/ro/Security" --target "$work/out/kms55.db" --progress never > "$work/log1" 2>&1; c1=$?
"$bin" verify --source "$work/ro/Security" --target "$work/out/kms55.db" --progress never > "$work/log2" 2>&1; c2=$?
set -e
check "upgrade from a read-only source exits 0 (got $c1: $(head -2 "$work/log1"))" '[ $c1 = 0 ]'
check "verify from a read-only source exits 0 (got $c2)" '[ $c2 = 0 ]'

# 2. A full file system at the target: exit 3 naming the cause, old target intact, no temporary file.
mkdir -p "$work/small"
mount -t tmpfs -o size=300k tmpfs "$work/small"
echo "old target" > "$work/small/kms55.db"
"$gen" store "$work/gen" 600 5 > /dev/null
src=$work/gen/Security
set +e
"$bin" upgrade --yes --source "$src" --target "$work/small/kms55.db" --force --progress never > "$work/log3" 2>&1; c3=$?
set -e
check "full disk exits 3 (got $c3: $(head -2 "$work/log3"))" '[ $c3 = 3 ]'
check "full disk message names the cause" 'grep -qiE "disk is full|No space left" "$work/log3"'
check "full disk is diagnosed before the temporary file goes" 'grep -q "the file system holding .* is full" "$work/log3"'
check "full disk message is one short line, not the SQL" '[ $(tail -1 "$work/log3" | wc -c) -lt 600 ]'
check "full disk leaves the old target intact" '[ "$(cat "$work/small/kms55.db")" = "old target" ]'
check "full disk leaves no temporary file" '! ls -A "$work/small" | grep -q kms-migrate'

# 2b. A full file system for the report only: the run fails before the commit (exit 3), nothing at the target.
mkdir -p "$work/tinyreport"
mount -t tmpfs -o size=4k tmpfs "$work/tinyreport"
set +e
"$bin" upgrade --yes --source "$src" --target "$work/out/r2.db" --report "$work/tinyreport/r.jsonl" --progress never > "$work/log3b" 2>&1; c3b=$?
set -e
check "a report on a full file system exits 3 (got $c3b: $(head -2 "$work/log3b"))" '[ $c3b = 3 ]'
check "a report on a full file system: no target" '[ ! -e "$work/out/r2.db" ]'
check "a report on a full file system: never says succeeded" '! grep -q succeeded "$work/log3b"'

# 2c. $TMPDIR nearly full (the tracks' and the report's temporary files fail): exit 3, never an abort,
# and nothing left beside the target; a report whose write failed is never put in place.
mkdir -p "$work/tmpfull" "$work/out2c"
mount -t tmpfs -o size=2m tmpfs "$work/tmpfull"
head -c 1898K /dev/zero > "$work/tmpfull/fill"
"$gen" store "$work/gen2c" 2000 5 > /dev/null
set +e
TMPDIR=$work/tmpfull "$bin" upgrade --yes --source "$work/gen2c/Security" --target "$work/out2c/t.db" --report "$work/out2c/u.jsonl" --progress never > "$work/log2c" 2>&1; c2c=$?
set -e
check "a full TMPDIR is exit 3, not an abort (got $c2c: $(tail -1 "$work/log2c"))" '[ $c2c = 3 ]'
check "a full TMPDIR leaves nothing beside the target" '[ -z "$(ls -A "$work/out2c" | grep -v "^u.jsonl$")" ]'
mkdir -p "$work/smallrep"
mount -t tmpfs -o size=14m tmpfs "$work/smallrep"
head -c 2000K /dev/zero > "$work/smallrep/fill"
set +e
"$bin" upgrade --yes --source "$work/gen2c/Security" --target "$work/smallrep/t.db" --report "$work/smallrep/r.jsonl" --report "$work/smallrep/r.csv" --progress never > "$work/log2d" 2>&1; c2d=$?
set -e
check "a report cut by a full disk: exit 3 (got $c2d)" '[ $c2d = 3 ]'
check "a report cut by a full disk is not put in place" '[ ! -e "$work/smallrep/r.jsonl" ] && [ ! -e "$work/smallrep/r.csv" ]'

# 3. A read-only target folder: exit 2 before anything is read.
mkdir -p "$work/rot"
mount -t tmpfs -o ro tmpfs "$work/rot"
set +e
"$bin" upgrade --yes --source "$work/ro/Security" --target "$work/rot/kms55.db" --progress never > "$work/log4" 2>&1; c4=$?
set -e
check "read-only target folder exits 2 (got $c4)" '[ $c4 = 2 ]'
check "read-only target folder is named as not writable" 'grep -q "not writable" "$work/log4"'

# 4. Permission errors as an unprivileged user.
# The unprivileged user must reach the binary and the store whatever folder the
# build is in (a clone in a 0700 mktemp folder is out of its reach): both are
# copied to a folder of their own that it may traverse.
if command -v setpriv > /dev/null; then
  as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  pw=$(mktemp -d /tmp/kms-fs-faults.XXXXXX); chmod 755 "$pw"
  cp "$bin" "$pw/kms-migrate"; chmod 755 "$pw/kms-migrate"
  mkdir -p "$pw/perm"
  cp -a "$fixtures/sample-store/." "$pw/perm/"
  mkdir -p "$pw/perm-out"
  chmod -R a+rX "$pw/perm"; chmod 777 "$pw/perm-out"
  victim=$pw/perm/Security/Mgrent/Clients/Mxclfr4zqvktn.ini
  chmod 000 "$victim"
  set +e
  as_nobody "$pw/kms-migrate" upgrade --yes --allow-rejected --source "$pw/perm/Security" --target "$pw/perm-out/a.db" --progress never --report "$pw/perm-out/a.jsonl" > "$work/log5" 2>&1; c5=$?
  set -e
  # A permission error is the environment's, not the record's: the run stops, whatever --allow-rejected says.
  check "a record file the user cannot read stops the upgrade (exit 3, got $c5)" '[ $c5 = 3 ]'
  check "the message names the file and the cause" 'grep -q "cannot open .*Mxclfr4zqvktn.ini.*Permission denied" "$work/log5"'
  check "nothing is committed" '[ ! -e "$pw/perm-out/a.db" ]'
  check "the report says failed" 'grep -q "\"status\":\"failed\"" "$pw/perm-out/a.jsonl"'
  chmod 644 "$victim"
  chmod 000 "$pw/perm/Security/Mgrent/Clients"
  set +e
  as_nobody "$pw/kms-migrate" upgrade --yes --source "$pw/perm/Security" --target "$pw/perm-out/b.db" --progress never > "$work/log6" 2>&1; c6=$?
  set -e
  check "an unreadable Clients folder exits 2 (got $c6: $(head -2 "$work/log6"))" '[ $c6 = 2 ]'
  chmod 755 "$pw/perm/Security/Mgrent/Clients"
  mkdir -p "$pw/root-only"; chmod 755 "$pw/root-only"
  set +e
  as_nobody "$pw/kms-migrate" upgrade --yes --source "$pw/perm/Security" --target "$pw/root-only/c.db" --progress never > "$work/log7" 2>&1; c7=$?
  set -e
  check "a target folder the user cannot write exits 2 (got $c7)" '[ $c7 = 2 ]'
  # No thread to be had (ulimit -u counts every process and thread of the user; root is exempt).
  # AddressSanitizer's runtime aborts itself without a thread: tried in the release build only.
  if grep -q __asan_init "$bin"; then
    echo "fs-faults: ulimit -u skipped under AddressSanitizer"
  else
  set +e
  as_nobody bash -c 'ulimit -u 1 && exec "$0" "$@"' "$pw/kms-migrate" upgrade --yes --jobs 16 --source "$pw/perm/Security" \
    --target "$pw/perm-out/t.db" --report "$pw/perm-out/t.jsonl" --progress never > "$work/log8" 2>&1; c8=$?
  set -e
  check "a thread that cannot start is exit 3 (got $c8: $(tail -1 "$work/log8"))" '[ $c8 = 3 ]'
  check "it is named as a system error" 'grep -q "cannot start .*thread" "$work/log8"'
  check "nothing is left beside the target" '[ -z "$(ls -A "$pw/perm-out" | grep -v "^t.jsonl$" | grep -E "t\.db|kms-migrate")" ]'
  check "the report is written, status failed" 'grep -q "\"status\":\"failed\"" "$pw/perm-out/t.jsonl"'
  fi
  rm -rf "$pw"
fi
echo "fs-faults: $pass passed, $fail failed"
[ $fail = 0 ]
INNER
