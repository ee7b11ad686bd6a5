#!/bin/bash
# lifecycle.sh -- four hotfixes over one product across their history:
# KB1 and KB2 change core.dat and a.dat, KB2 supersedes KB1, KB3 requires
# KB2, KB4 shares core.dat with KB2.  Every query state, the refusals
# (exit 4, exit 7), forced rollback, commit, dry runs, verify after a
# manual edit, the unversioned-file rule, and three packages installed in
# one command given in the wrong order.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

PKI=$T/pki
pki_init "$PKI" || { not_ok "pki"; done_testing; exit 1; }
S=$T/src
mkdir -p "$S"
for v in 0 1 2 3; do
	mkdir -p "$S/v$v/lib" "$S/v$v/conf"
	printf 'core version %s\n' "$v" > "$S/v$v/lib/core.dat"
	printf 'a version %s\n' "$v" > "$S/v$v/lib/a.dat"
	printf 'b version %s\n' "$v" > "$S/v$v/lib/b.dat"
	printf 'setting = %s\n' "$v" > "$S/v$v/conf/x.ini"
done

# mk ID "supersedes" "requires" "file=version=vN ..." -> $T/ID.hfx
mk() {
	id=$1 sup=$2 req=$3
	shift 3
	pay=$T/pay-$id
	mkdir -p "$pay"
	{
		printf '[hotfix]\nid = %s\ntitle = Lifecycle fix %s\nproduct = Lifecycle Product\n' "$id" "$id"
		printf 'product-dir = /opt/life\nrestart = none\nsupersedes = %s\nrequires = %s\n' "$sup" "$req"
		for spec in "$@"; do
			f=${spec%%=*} rest=${spec#*=} ver=${rest%%=*} src=${rest#*=}
			printf '\n[file %s]\nversion = %s\n' "$f" "$ver"
			[ "$f" = lib/b.dat ] && printf 'new = yes\n'
			mkdir -p "$pay/$(dirname "$f")"
			cp "$S/$src/$f" "$pay/$f"
		done
	} > "$T/$id.ini"
	"$HFX" pack "$T/$id.ini" --payload "$pay" --key "$PKI/publisher.key" \
		--cert "$PKI/publisher.pem" -o "$T/$id.hfx" >/dev/null
}
mk KB1 "" "" lib/core.dat=1.1=v1 lib/a.dat=1.1=v1
mk KB2 KB1 "" lib/core.dat=1.2=v2 lib/a.dat=1.2=v2
mk KB3 "" KB2 lib/b.dat=1.0=v1 conf/x.ini=1.0=v1
mk KB4 "" "" lib/core.dat=1.3=v3

R=$T/root
mkdir -p "$R/opt/life/lib" "$R/opt/life/conf" "$R/etc/hfx/trust"
cp "$PKI/ca.pem" "$R/etc/hfx/trust/"
cp "$S/v0/lib/core.dat" "$S/v0/lib/a.dat" "$R/opt/life/lib/"
cp "$S/v0/conf/x.ini" "$R/opt/life/conf/"
state() { "$HFX" query --json --root "$R" "$1" 2>/dev/null | jq -r '.hotfixes[0].state'; }

# --- absent, prerequisites, ordering ---------------------------------------------
expect_exit 1 "query KB1 before anything: absent" "$HFX" query --root "$R" "$T/KB1.hfx"
is "$(state "$T/KB1.hfx")" absent "state absent"
expect_exit 4 "KB3 without its prerequisite: exit 4" "$HFX" install --root "$R" "$T/KB3.hfx"
like "$(cat "$T/.err")" "KB3 requires KB2, which is not installed" "the refusal names the missing prerequisite"

tree_snapshot "$R" > "$T/snap0"
expect_exit 0 "install --dry-run prints the plan" "$HFX" install --dry-run --root "$R" "$T/KB1.hfx"
like "$(cat "$T/.out")" "replace +/opt/life/lib/core.dat" "dry run lists each file's action"
unchanged "$R" "$T/snap0" "the dry run changed nothing"

expect_exit 0 "three packages in the wrong order, one command" \
	"$HFX" install --json --root "$R" "$T/KB3.hfx" "$T/KB2.hfx" "$T/KB1.hfx"
is "$(json_get "$T/.out" '[.results[].id] | join(",")')" "KB1,KB2,KB3" "installed in dependency order"
is "$(state KB1)" superseded "KB1: superseded (by KB2)"
is "$(state KB2)" installed "KB2: installed"
is "$(state KB3)" installed "KB3: installed"
expect_exit 0 "query of a superseded hotfix exits 0" "$HFX" query --root "$R" KB1
like "$(cat "$T/.out")" "KB1: superseded by KB2" "it names its successor"
expect_exit 0 "installing a superseded hotfix again" "$HFX" install --json --root "$R" "$T/KB1.hfx"
is "$(json_get "$T/.out" '.results[0].changed')" false "changed false"
like "$(json_get "$T/.out" '.results[0].note')" "superseded by KB2" "says which hotfix supersedes it"

# --- shared files, refusals, forced rollback ----------------------------------------
expect_exit 0 "KB4 replaces core.dat, which KB2 installed" "$HFX" install --root "$R" "$T/KB4.hfx"
is "$(cat "$R/opt/life/lib/core.dat")" "core version 3" "core.dat is KB4's"
expect_exit 7 "rollback of KB2 while KB4 owns core.dat: exit 7" "$HFX" rollback --root "$R" KB2
like "$(cat "$T/.err")" "KB3 requires it.*bin|KB4" "the refusal names KB4"
like "$(cat "$T/.err")" "KB3 requires it" "... and KB3, which requires KB2"
expect_exit 7 "rollback of KB1 (superseded by KB2): exit 7" "$HFX" rollback --root "$R" KB1
like "$(cat "$T/.err")" "KB2" "the refusal names KB2"
expect_exit 0 "list --json" "$HFX" list --json --root "$R"
is "$(json_get "$T/.out" '[.hotfixes[] | "\(.id)=\(.state)"] | join(" ")')" \
	"KB1=superseded KB2=installed KB3=installed KB4=installed" "list: every hotfix and its state"
diag "$(cat "$T/.out" | jq -c '.hotfixes[] | {id, state, superseded_by, rollback_possible}')"

tree_snapshot "$R" > "$T/snap1"
expect_exit 0 "rollback --dry-run of KB4" "$HFX" rollback --dry-run --root "$R" KB4
like "$(cat "$T/.out")" "restore +/opt/life/lib/core.dat" "the rollback plan lists the restore"
unchanged "$R" "$T/snap1" "the rollback dry run changed nothing"
expect_exit 0 "rollback KB4" "$HFX" rollback --root "$R" KB4
is "$(cat "$R/opt/life/lib/core.dat")" "core version 2" "core.dat is KB2's again"
is "$(state KB2)" installed "KB2 still installed, files intact"

expect_exit 0 "KB4 again" "$HFX" install --root "$R" "$T/KB4.hfx"
expect_exit 7 "rollback of KB2 while KB3 requires it and KB4 shares a file: exit 7" \
	"$HFX" rollback --root "$R" KB2
expect_exit 0 "rollback --force of KB2" "$HFX" rollback --force --json --root "$R" KB2
is "$(json_get "$T/.out" '.files[] | select(.path|endswith("core.dat")) | .action')" handed-over \
	"the shared file is handed over to KB4"
is "$(cat "$R/opt/life/lib/core.dat")" "core version 3" "KB4's core.dat stays"
is "$(cat "$R/opt/life/lib/a.dat")" "a version 1" "a.dat back to KB1's version"
is "$(state KB1)" installed "KB1 is installed again"
expect_exit 0 "rolling back KB4 now restores what was there before KB2" "$HFX" rollback --root "$R" KB4
is "$(cat "$R/opt/life/lib/core.dat")" "core version 1" "core.dat is KB1's (KB4 inherited KB2's original)"
is "$(state KB3)" installed "KB3's own files are still in place"
"$HFX" query --json --root "$R" KB3 > "$T/kb3.json"
like "$(json_get "$T/kb3.json" '.hotfixes[0].note')" "requires KB2, which is no longer installed" \
	"query notes that KB3's prerequisite was forcibly removed"

# --- commit ----------------------------------------------------------------------------
expect_exit 0 "commit KB3" "$HFX" commit --root "$R" KB3
expect_exit 0 "list --json" "$HFX" list --json --root "$R"
is "$(json_get "$T/.out" '.hotfixes[] | select(.id=="KB3") | .rollback_possible')" false "list: KB3 can no longer be rolled back"
expect_exit 1 "rollback of a committed hotfix: exit 1" "$HFX" rollback --force --root "$R" KB3
like "$(cat "$T/.err")" "committed" "the message says it was committed"
check "its originals are gone from the store" test ! -e "$R/var/lib/hfx/store/KB3"

# --- verify after a manual edit; partial --------------------------------------------------
expect_exit 0 "verify: all match" "$HFX" verify --root "$R"
echo "local change" >> "$R/opt/life/lib/a.dat"
expect_exit 1 "verify after editing a.dat: exit 1" "$HFX" verify --json --root "$R"
is "$(json_get "$T/.out" '.files[] | select(.path|endswith("a.dat")) | .status')" changed "a.dat reported changed"
is "$(state KB1)" partial "KB1 is partial now"
expect_exit 1 "query of a partial hotfix exits 1" "$HFX" query --root "$R" KB1
cp "$S/v0/lib/core.dat" "$R/opt/life/lib/core.dat.tmp" && mv "$R/opt/life/lib/core.dat.tmp" "$R/opt/life/lib/core.dat"
expect_exit 1 "verify --full after putting the product's own core.dat back" "$HFX" verify --full --json --root "$R"
is "$(json_get "$T/.out" '.files[] | select(.path|endswith("core.dat")) | .status')" changed \
	"core.dat reported changed (unversioned bytes hfx never installed: version unknown)"

# --- unversioned files changed by the user --------------------------------------------------
# a.dat was written by KB1 and then edited: a hotfix replacing it leaves it
# alone unless --force.
mk KB5 "" "" lib/a.dat=1.5=v3
expect_exit 0 "a hotfix over a user-edited unversioned file" "$HFX" install --json --root "$R" "$T/KB5.hfx"
is "$(json_get "$T/.out" '.results[0].files[0].action')" keep-modified "the edited file is left alone"
like "$(cat "$R/opt/life/lib/a.dat")" "local change" "the user's change survives"
expect_exit 0 "with --force it is replaced" "$HFX" install --force --json --root "$R" "$T/KB5.hfx"
is "$(cat "$R/opt/life/lib/a.dat")" "a version 3" "replaced with --force"

# --- present, superseded without a record of the older, not-applicable -------------------
P=$T/present
mkdir -p "$P/opt/life/lib" "$P/etc/hfx/trust"
cp "$PKI/ca.pem" "$P/etc/hfx/trust/"
cp "$S/v2/lib/core.dat" "$S/v2/lib/a.dat" "$P/opt/life/lib/"
expect_exit 0 "files already holding KB2's signed bytes, no record: exit 0" \
	"$HFX" query --json --root "$P" "$T/KB2.hfx"
is "$(json_get "$T/.out" '.hotfixes[0].state')" present "state present"
S2=$T/superseded
mkdir -p "$S2/opt/life/lib" "$S2/etc/hfx/trust"
cp "$PKI/ca.pem" "$S2/etc/hfx/trust/"
cp "$S/v0/lib/core.dat" "$S/v0/lib/a.dat" "$S2/opt/life/lib/"
"$HFX" install -q --root "$S2" "$T/KB2.hfx" >/dev/null 2>&1
expect_exit 0 "query KB1 where only its successor KB2 was ever installed: exit 0" \
	"$HFX" query --json --root "$S2" "$T/KB1.hfx"
is "$(json_get "$T/.out" '.hotfixes[0].state')" superseded "state superseded"
is "$(json_get "$T/.out" '.hotfixes[0].superseded_by')" KB2 "superseded by KB2"
NA=$T/na
mkdir -p "$NA/etc/hfx/trust" && cp "$PKI/ca.pem" "$NA/etc/hfx/trust/"
expect_exit 4 "query where the product is absent: exit 4" "$HFX" query --json --root "$NA" "$T/KB1.hfx"
is "$(json_get "$T/.out" '.hotfixes[0].state')" not-applicable "state not-applicable"

# --- an unversioned file hfx wrote keeps the version it was recorded with -------------------
# Its stat still matches what KB4 wrote, so it is not hashed again; the
# version recorded for those bytes (1.3) must still decide against KB6's
# older 1.2, which names no relation to KB4.
mk KB6 "" "" lib/core.dat=1.2=v2
U=$T/unversioned
mkdir -p "$U/opt/life/lib" "$U/etc/hfx/trust"
cp "$PKI/ca.pem" "$U/etc/hfx/trust/"
cp "$S/v0/lib/core.dat" "$U/opt/life/lib/"
expect_exit 0 "KB4 writes core.dat 1.3" "$HFX" install --root "$U" "$T/KB4.hfx"
expect_exit 0 "KB6 brings core.dat 1.2" "$HFX" install --json --root "$U" "$T/KB6.hfx"
is "$(json_get "$T/.out" '.results[0].files[0].action')" keep-newer \
	"core.dat is kept: 1.3 recorded for its bytes is newer than 1.2"
is "$(cat "$U/opt/life/lib/core.dat")" "core version 3" "KB4's core.dat stays"

done_testing
