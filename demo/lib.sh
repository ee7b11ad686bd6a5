# demo/lib.sh -- shell helpers shared by the KB899801 demo and the
# integration tests: a demo PKI made with the openssl command line, a root
# holding the Exchange 2003 product tree at 6.5.7226.0 with its two demo
# services, and ways to look at those services.
#
# The caller sets:
#   HFX_SRCDIR    the source tree (manifests/, payload/, demo/)
#   HFX_BUILDDIR  the build tree (src/hfx, demo/hfx-demo-svc)
# and may set HFX_QUIET_OPENSSL=0 to see openssl's output.

: "${HFX_SRCDIR:?HFX_SRCDIR must be set}"
: "${HFX_BUILDDIR:?HFX_BUILDDIR must be set}"
HFX=${HFX:-$HFX_BUILDDIR/src/hfx}

_ossl() {
	if [ "${HFX_QUIET_OPENSSL:-1}" = 1 ]; then
		openssl "$@" >/dev/null 2>&1
	else
		openssl "$@"
	fi
}

# pki_init DIR: a root CA (DIR/ca.pem) and a code-signing publisher
# certificate issued by it (DIR/publisher.pem, key DIR/publisher.key).
pki_init() {
	pki=$1
	mkdir -p "$pki"
	_ossl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
		-keyout "$pki/ca.key" -out "$pki/ca.pem" \
		-subj "/O=hfx demo/CN=hfx Demo Root CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" || return 1
	pki_issue "$pki" publisher "/O=hfx demo/CN=Demo Hotfix Publisher" ca
}

# pki_issue DIR NAME SUBJECT ISSUER [DAYS] [EXTRA-EXTENSIONS]: a leaf
# certificate DIR/NAME.pem for code signing, signed by DIR/ISSUER.
pki_issue() {
	pki=$1 name=$2 subj=$3 issuer=$4 days=${5:-825}
	printf '%s\n' "basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=codeSigning" \
		"subjectKeyIdentifier=hash" \
		"authorityKeyIdentifier=keyid" ${6:+"$6"} > "$pki/$name.ext"
	_ossl req -newkey rsa:2048 -nodes -sha256 -keyout "$pki/$name.key" \
		-out "$pki/$name.csr" -subj "$subj" &&
	_ossl x509 -req -sha256 -in "$pki/$name.csr" -CA "$pki/$issuer.pem" \
		-CAkey "$pki/$issuer.key" -CAcreateserial -days "$days" \
		-extfile "$pki/$name.ext" -out "$pki/$name.pem"
}

# pack_kb899801 PKI OUT.hfx [extra hfx pack options]
pack_kb899801() {
	pki=$1 out=$2
	shift 2
	"$HFX" pack "$HFX_SRCDIR/manifests/KB899801.ini" \
		--payload "$HFX_SRCDIR/payload/KB899801" \
		--key "$pki/publisher.key" --cert "$pki/publisher.pem" \
		-o "$out" "$@"
}

# make_root ROOT PKI: the product tree at 6.5.7226.0, the trust store and
# the two services, controlled by commands inside the root.
make_root() {
	root=$1 pki=$2
	mkdir -p "$root/opt/exchsrvr/bin" "$root/etc/hfx/trust" \
		"$root/usr/sbin" "$root/run/exchsvc" "$root/var/log/exchsvc" ||
		return 1
	cp "$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin/Lscps.dll" \
		"$HFX_SRCDIR/demo/exchsrvr-6.5.7226.0/bin/Lsmexif.dll" \
		"$root/opt/exchsrvr/bin/" &&
	chmod 0644 "$root"/opt/exchsrvr/bin/*.dll &&
	cp "$pki/ca.pem" "$root/etc/hfx/trust/demo-ca.pem" &&
	cp "$HFX_BUILDDIR/demo/hfx-demo-svc" "$root/usr/sbin/hfx-demo-svc" &&
	cp "$HFX_SRCDIR/demo/exchsvc" "$root/usr/sbin/exchsvc" &&
	chmod 0755 "$root/usr/sbin/exchsvc" "$root/usr/sbin/hfx-demo-svc" ||
		return 1
	cat > "$root/etc/hfx/services.conf" <<'CONF'
# The demo services run inside this root; hfx runs these commands with
# HFX_ROOT set to the root.
[Connector for Lotus Notes]
start = "$HFX_ROOT/usr/sbin/exchsvc" start lotus
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop lotus
status = "$HFX_ROOT/usr/sbin/exchsvc" status lotus
pidfile = /run/exchsvc/lotus.pid

[Calendar Connector]
start = "$HFX_ROOT/usr/sbin/exchsvc" start calendar
stop = "$HFX_ROOT/usr/sbin/exchsvc" stop calendar
status = "$HFX_ROOT/usr/sbin/exchsvc" status calendar
pidfile = /run/exchsvc/calendar.pid
CONF
}

# svc ROOT ACTION NAME: run the root's service control script.
svc() {
	HFX_ROOT=$1 "$1/usr/sbin/exchsvc" "$2" "$3"
}

services_start() {
	svc "$1" start lotus && svc "$1" start calendar
}

services_stop() {
	svc "$1" stop lotus
	svc "$1" stop calendar
}

# service_pid ROOT NAME: the running daemon's pid (empty if stopped).
service_pid() {
	if svc "$1" status "$2"; then cat "$1/run/exchsvc/$2.pid"; fi
}

# service_version ROOT NAME DLL: the version the running service loaded.
service_version() {
	sed -n "s/^$2 pid=[0-9]* loaded=$3 version=//p" \
		"$1/var/log/exchsvc/$2.report"
}
