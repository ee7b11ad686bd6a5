#!/bin/bash
# hostile-config.sh -- issue 3, configuration and state: a malformed
# services.conf or hfx.conf (exit 1, naming file and line, before any
# service is stopped), a damaged trust store (exit 3, naming the file), and
# a database that is not SQLite, truncated, from a newer hfx or someone
# else's (exit 1, for install, query and list, the database byte for byte
# as it was).  In every case the root and its running services are left
# alone.
. "$HFX_SRCDIR/tests/integration/testlib.sh"

setup_kb899801 || { not_ok "setup"; done_testing; exit 1; }
R=$ROOT
CONF=$R/etc/hfx
cp "$CONF/services.conf" "$T/services.conf.good"
# The line of [Calendar Connector] in the demo root's services.conf.
cal=$(grep -n '^\[Calendar Connector\]' "$T/services.conf.good" | cut -d: -f1)
WATCH_UNDO='"$HFX" rollback -q --no-services --root "$_w_root" KB899801'

# --- services.conf --------------------------------------------------------------
# bad_services NAME EDIT LINE PATTERN DESC: services.conf edited by EDIT
# (Python on its text s); install fails naming services.conf:LINE.
bad_services() {
	fixture edit "$T/services.conf.good" "$CONF/services.conf" "$2" ||
		diag "services.conf $1 not written"
	watch_root "$R"
	refused 1 "etc/hfx/services\.conf:$3: $4" "services.conf: $5" \
		"$HFX" install --root "$R" "$PKG"
	cp "$T/services.conf.good" "$CONF/services.conf"
}
bad_services syntax "s = s.replace('[Calendar Connector]', '[Calendar Connector]\nthis line is neither a section nor a key')" \
	$((cal + 1)) "syntax error" "a syntax error"
bad_services unknown "s = s.replace('[Calendar Connector]', '[Calendar Connector]\nrestart-on = failure')" \
	$((cal + 1)) "unknown key 'restart-on' in \[Calendar Connector\]" "an unknown key"
bad_services no-start "import re; s = re.sub(r'(?m)^start = .* start calendar\n', '', s)" \
	"$cal" "\[Calendar Connector\] needs all of stop, start and status" "a service without its start command"
bad_services no-commands "s = s + '\n[Other Service]\n'" \
	"[0-9]+" "\[Other Service\] needs unit = NAME or stop/start/status commands" "a service with no commands at all"
bad_services open-section "s = s.replace('[Calendar Connector]', '[Calendar Connector')" \
	"$cal" "section header without '\]'" "a section header without ]"
bad_services twice "s = s + '\n[Calendar Connector]\nunit = calendar\n'" \
	"[0-9]+" "service \[Calendar Connector\] given twice \(first at line $cal\)" "a service given twice"

# hfx.conf is read by every command.
printf '[hfx]\ntimeout = 30\nretries = 3\n' > "$CONF/hfx.conf"
watch_root "$R"
refused 1 "etc/hfx/hfx\.conf:3: unknown key 'retries' in \[hfx\]" "hfx.conf: an unknown key" \
	"$HFX" install --root "$R" "$PKG"
printf '[hfx]\ntimeout = soon\n' > "$CONF/hfx.conf"
watch_root "$R"
refused 1 "etc/hfx/hfx\.conf:2: timeout = 'soon' must be a number of seconds" \
	"hfx.conf: a timeout that is not a number" "$HFX" install --root "$R" "$PKG"
rm "$CONF/hfx.conf"

# --- the trust store ---------------------------------------------------------------
# bad_trust FILE DESC PATTERN: with trust/FILE as written by the caller,
# install and info refuse every package (exit 3) naming the file.
bad_trust() {
	watch_root "$R"
	refused 3 "trusted certificate file .*/etc/hfx/trust/$1 $3" "trust: $2 (install)" \
		"$HFX" install --root "$R" "$PKG"
	refused 3 "trusted certificate file .*/etc/hfx/trust/$1 $3" "trust: $2 (info)" \
		"$HFX" info --root "$R" "$PKG"
	rm -f "$CONF/trust/$1"
}
sed '5s/./#/' "$PKI/ca.pem" > "$CONF/trust/broken.pem"
bad_trust broken.pem "a PEM with a damaged base64 line" "is corrupt"
head -n 6 "$PKI/ca.pem" > "$CONF/trust/cut.pem"
bad_trust cut.pem "a PEM cut short (no END line)" "is corrupt"
printf 'not a certificate at all\n' > "$CONF/trust/junk.pem"
bad_trust junk.pem "a .pem holding no certificate" "holds no certificate"
cp "$PKI/ca.pem" "$T/ca-good.pem"
sed '$d' "$PKI/ca.pem" > "$CONF/trust/demo-ca.pem"	# the real anchor, cut
bad_trust demo-ca.pem "the trusted CA's own PEM cut short" "is corrupt"
cp "$T/ca-good.pem" "$CONF/trust/demo-ca.pem"
expect_exit 0 "trust: control, the restored store verifies the package again" \
	"$HFX" info --root "$R" "$PKG"

# --- the database -------------------------------------------------------------------
# A real database from a scratch root that has KB899801 installed.
SCRATCH=$T/scratch
make_root "$SCRATCH" "$PKI" && track_root "$SCRATCH"
"$HFX" install -q --no-services --root "$SCRATCH" "$PKG"
DB=$R/var/lib/hfx/hfx.db
cp "$SCRATCH/var/lib/hfx/hfx.db" "$T/good.db"

# bad_db NAME DESC PATTERN: with hfx.db as prepared by the caller, install,
# query and list exit 1 naming the database, and leave it byte for byte.
bad_db() {
	db_sha=$(sha256_of "$DB")
	watch_root "$R"
	for cmd in install query list; do
		case $cmd in
		install) args=("$PKG") ;;
		query) args=(KB899801) ;;
		list) args=() ;;
		esac
		refused 1 "database .*var/lib/hfx/hfx\.db $3" "database $2 ($cmd)" \
			"$HFX" $cmd --root "$R" "${args[@]}"
		is "$(sha256_of "$DB")" "$db_sha" "database $2 ($cmd): the database is unchanged"
	done
}
mkdir -p "$R/var/lib/hfx"
for i in $(seq 40); do echo "line $i of a log file that someone saved as hfx.db"; done > "$DB"
bad_db text "that is a text file" "is not an SQLite database"
head -c 50 "$T/good.db" > "$DB"
bad_db cut-50 "cut to 50 bytes" "is truncated"
head -c 6000 "$T/good.db" > "$DB"
bad_db cut-6000 "cut inside its second page" "is truncated or damaged"
head -c 8192 "$T/good.db" > "$DB"
bad_db cut-8192 "cut after its second page" "is damaged"
cp "$T/good.db" "$DB"
sqlite3 "$DB" "PRAGMA user_version = 99"
bad_db newer "of schema version 99" "has schema version 99, newer than this hfx knows"
rm -f "$DB" "$DB-wal" "$DB-shm"
sqlite3 "$DB" "CREATE TABLE accounts (name TEXT)"
bad_db foreign "of another program" "holds tables but no hfx schema version"
rm -f "$DB" "$DB-wal" "$DB-shm"

# The database and the log are symlinks to files outside: never written
# through.
cp "$T/good.db" "$T/victim.db"
victim_sha=$(sha256_of "$T/victim.db")
ln -s "$T/victim.db" "$DB"
watch_root "$R"
refused 1 "database .*var/lib/hfx/hfx\.db.*symbolic link" \
	"database that is a symlink to a file outside" "$HFX" install --root "$R" "$PKG"
is "$(sha256_of "$T/victim.db")" "$victim_sha" "the file the database symlink points to is unchanged"
rm -f "$DB"
echo "someone else's log" > "$T/victim.log"
victim_sha=$(sha256_of "$T/victim.log")
rm -f "$R/var/log/hfx.log" && ln -s "$T/victim.log" "$R/var/log/hfx.log"
cp "$PKG" "$T/tampered.hfx" && printf 'GARBAGE' >> "$T/tampered.hfx"
expect_exit 3 "a refusal with hfx.log a symlink to a file outside: exit 3" \
	"$HFX" install --root "$R" "$T/tampered.hfx"
is "$(sha256_of "$T/victim.log")" "$victim_sha" "the log is not written through the symlink"
rm -f "$R/var/log/hfx.log"

done_testing
