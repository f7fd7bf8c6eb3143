#!/usr/bin/env bash
# The Debian package (packaging.cmake): built from the build tree, unpacked into
# a scratch root, its binary run, its man page read, its files and dependencies
# checked. Usage: package_test.sh BUILD_DIR WORK_DIR
set -uo pipefail
build=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail() { echo "package test: $*" >&2; exit 1; }
command -v dpkg-deb > /dev/null || { echo "package test: dpkg-deb is missing; skipped"; exit 77; }
cpack --config "$build/CPackConfig.cmake" -B "$work/out" > "$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack failed"; }
deb=$(ls "$work"/out/kms-migrate_*.deb 2> /dev/null | head -1)
[ -n "$deb" ] || { cat "$work/cpack.log"; fail "no .deb was made"; }
dpkg-deb -x "$deb" "$work/root" || fail "dpkg-deb -x failed"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsqlite3-0 libboost-program-options libssl3 libinih1; do
  case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib: $depends" ;; esac
done
version=$("$work/root/usr/bin/kms-migrate" --version) || fail "the installed binary does not run"
[ "$version" = "kms-migrate $(dpkg-deb -f "$deb" Version)" ] || fail "version '$version' is not the package's"
man_page=$work/root/usr/share/man/man1/kms-migrate.1.gz
[ -f "$man_page" ] || fail "no man page at /usr/share/man/man1"
if command -v man > /dev/null; then
  text=$(MANWIDTH=100 man -l "$man_page" 2> "$work/man.err") || { cat "$work/man.err"; fail "man -l failed"; }
else
  text=$(zcat "$man_page")
fi
for want in "KMS-MIGRATE(1)" "upgrade an Exchange Server 5.0" "EXIT STATUS" "--allow-rejected" "TMPDIR"; do
  grep -qF -- "$want" <<< "$text" || fail "the man page lacks '$want'"
done
grep -q '@VERSION@' <<< "$text" && fail "the man page still says @VERSION@"
[ -f "$work/root/usr/share/bash-completion/completions/kms-migrate" ] || fail "no bash completion"
[ -f "$work/root/usr/share/doc/kms-migrate/runbook.md" ] || fail "no runbook in /usr/share/doc/kms-migrate"
[ -d "$work/root/usr/share/doc/kms-migrate/sample-store/Security/Mgrent/Clients" ] || fail "no sample store"
doc=$work/root/usr/share/doc/kms-migrate
for f in copyright changelog.gz README; do [ -f "$doc/$f" ] || fail "no $f in /usr/share/doc/kms-migrate"; done
grep -q "The night" "$doc/README" || fail "the installed README is not the administrator's"
grep -q -e "scripts/" -e "cmake" "$doc/README" && fail "the installed README speaks of building: the developers' one"
if command -v lintian > /dev/null; then
  lintian --no-tag-display-limit "$deb" > "$work/lintian.txt" 2>&1
  if grep -q '^E:' "$work/lintian.txt"; then cat "$work/lintian.txt"; fail "lintian reports errors"; fi
else
  echo "package test: lintian is not installed; its check skipped (scripts/setup-test-tools installs it)"
fi
unexpected=$(cd "$work/root" && find . -type f | grep -v -e '^./usr/bin/kms-migrate$' -e '^./usr/share/' || true)
[ -z "$unexpected" ] || fail "files outside /usr/bin and /usr/share: $unexpected"
echo "package test: $(basename "$deb") installs kms-migrate, its man page, completion and docs"
