/*
 * signature.c -- OpenSSL CMS sign/verify for manifests.
 *
 * The trust store is an X509_STORE with purpose "any" and partial chains
 * allowed; the code-signing restriction is checked on the signer
 * certificate after CMS_verify() succeeded (OpenSSL 3.0 has no built-in
 * code-signing purpose, and registering one would change process-global
 * OpenSSL state).  OpenSSL's error queue is drained into the caller's
 * hfx_err after every failure so that nothing stale leaks into a later
 * message.
 */
#include "signature.h"
#include "fsutil.h"

#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define PEM_FILE_MAX (1u << 20)

struct hfx_trust {
	X509_STORE *store;
	size_t ncerts;
};

/* The most specific reason OpenSSL queued, then clear the queue. */
static void ssl_reason(char *buf, size_t len)
{
	const char *data = NULL, *func = NULL;
	int flags = 0;
	unsigned long e, last = 0;
	char best[256] = "";

	while ((e = ERR_get_error_all(NULL, NULL, &func, &data, &flags))) {
		last = e;
		if (data && (flags & ERR_TXT_STRING) && *data)
			snprintf(best, sizeof(best), "%s", data);
		else if (!best[0])
			ERR_error_string_n(e, best, sizeof(best));
	}
	if (!last)
		snprintf(best, sizeof(best), "unknown OpenSSL error");
	/* "Verify error:certificate has expired" -> the part after ':' */
	if (strncmp(best, "Verify error:", 13) == 0)
		memmove(best, best + 13, strlen(best + 13) + 1);
	snprintf(buf, len, "%s", best + strspn(best, " "));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum hfx_rc load_pem_file(struct hfx_trust *t, int dirfd,
				 const char *name, const char *label,
				 struct hfx_err *err)
{
	char path[512], *text, reason[256];
	size_t len, n = 0;
	enum hfx_rc rc;
	BIO *bio;
	X509 *cert;

	snprintf(path, sizeof(path), "%s/%s", label, name);
	rc = hfx_read_file_at(dirfd, name, PEM_FILE_MAX, &text, &len, path, err);
	if (rc != HFX_OK) {
		err->code = HFX_ERR_SIGNATURE;	/* an unreadable anchor is a trust failure */
		return HFX_ERR_SIGNATURE;
	}
	bio = BIO_new_mem_buf(text, (int)len);
	if (!bio) {
		free(text);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		X509_STORE_add_cert(t->store, cert);	/* duplicates are fine */
		X509_free(cert);
		n++;
	}
	BIO_free(bio);
	/* PEM_read_bio_X509 ends with "no start line" at a clean end of
	 * input; anything else is a damaged certificate. */
	{
		unsigned long e = ERR_peek_last_error();
		bool clean_end = ERR_GET_LIB(e) == ERR_LIB_PEM &&
				 ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
		bool has_more_pem = strstr(text, "-----BEGIN") != NULL;

		if (n == 0 || !clean_end) {
			ssl_reason(reason, sizeof(reason));
			free(text);
			if (n == 0 && clean_end && !has_more_pem)
				return hfx_err_set(err, HFX_ERR_SIGNATURE,
						   "trusted certificate file %s holds no certificate",
						   path);
			return hfx_err_set(err, HFX_ERR_SIGNATURE,
					   "trusted certificate file %s is corrupt: %s",
					   path, reason);
		}
		ERR_clear_error();
	}
	free(text);
	t->ncerts += n;
	return HFX_OK;
}

enum hfx_rc hfx_trust_load(int trustdir, const char *label,
			   struct hfx_trust **out, struct hfx_err *err)
{
	struct hfx_trust *t = calloc(1, sizeof(*t));
	char **names = NULL;
	size_t nnames = 0;
	enum hfx_rc rc = HFX_OK;
	DIR *dir;
	struct dirent *de;
	int fd;

	*out = NULL;
	if (!t || !(t->store = X509_STORE_new())) {
		free(t);
		return hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
	}
	X509_STORE_set_purpose(t->store, X509_PURPOSE_ANY);
	X509_STORE_set_flags(t->store, X509_V_FLAG_PARTIAL_CHAIN);
	if (trustdir < 0) {
		*out = t;
		return HFX_OK;
	}
	fd = fcntl(trustdir, F_DUPFD_CLOEXEC, 0);
	dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		hfx_trust_free(t);
		return hfx_err_sys(err, HFX_ERR_SIGNATURE, "reading %s", label);
	}
	while ((de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		char **grown;

		if (l < 5 || strcmp(de->d_name + l - 4, ".pem") != 0 ||
		    de->d_name[0] == '.')
			continue;
		grown = realloc(names, (nnames + 1) * sizeof(*names));
		if (!grown || !(grown[nnames] = strdup(de->d_name))) {
			names = grown ? grown : names;
			rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
			break;
		}
		names = grown;
		nnames++;
	}
	closedir(dir);
	if (rc == HFX_OK && nnames > 1)
		qsort(names, nnames, sizeof(*names), cmp_names);
	for (size_t i = 0; i < nnames && rc == HFX_OK; i++)
		rc = load_pem_file(t, trustdir, names[i], label, err);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (rc != HFX_OK) {
		hfx_trust_free(t);
		return rc;
	}
	*out = t;
	return HFX_OK;
}

void hfx_trust_free(struct hfx_trust *trust)
{
	if (!trust)
		return;
	X509_STORE_free(trust->store);
	free(trust);
}

static char *subject_of(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	long len;

	if (!bio)
		return NULL;
	X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
			   XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	len = BIO_get_mem_data(bio, &data);
	if (len >= 0)
		out = strndup(data, (size_t)len);
	BIO_free(bio);
	return out;
}

/* The certificate of the (single) signer, searched among the certificates
 * the CMS carries; NULL if it carries none that matches. */
static X509 *find_signer_cert(CMS_ContentInfo *cms, CMS_SignerInfo *si)
{
	STACK_OF(X509) *certs = CMS_get1_certs(cms);
	X509 *found = NULL;

	for (int i = 0; certs && i < sk_X509_num(certs); i++) {
		X509 *c = sk_X509_value(certs, i);
		if (CMS_SignerInfo_cert_cmp(si, c) == 0) {
			found = c;
			X509_up_ref(found);
			break;
		}
	}
	sk_X509_pop_free(certs, X509_free);
	return found;
}

enum hfx_rc hfx_signature_verify(const struct hfx_trust *trust,
				 const void *data, size_t len,
				 const void *sig, size_t sig_len,
				 char **signer, struct hfx_err *err)
{
	const unsigned char *p = sig;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	X509 *cert = NULL;
	BIO *content = NULL;
	char *who = NULL, reason[256];
	enum hfx_rc rc = HFX_OK;
	uint32_t xku, ku;

	*signer = NULL;
	ERR_clear_error();
	if (sig_len == 0)
		return hfx_err_set(err, HFX_ERR_SIGNATURE,
				   "manifest.sig is empty");
	if (sig_len > HFX_SIGNATURE_MAX)
		return hfx_err_set(err, HFX_ERR_SIGNATURE,
				   "manifest.sig is %zu bytes, over the %u-byte limit",
				   sig_len, HFX_SIGNATURE_MAX);
	if (!trust || trust->ncerts == 0)
		return hfx_err_set(err, HFX_ERR_SIGNATURE,
				   "no trusted certificates are installed (etc/hfx/trust/*.pem): every package is refused");
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)sig_len);
	if (!cms || p != (const unsigned char *)sig + sig_len) {
		ERR_clear_error();
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "manifest.sig is not a DER CMS structure%s",
				 cms ? " (trailing bytes)" : "");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "manifest.sig is CMS %s, not SignedData",
				 OBJ_nid2sn(OBJ_obj2nid(CMS_get0_type(cms))));
		goto out;
	}
	if (!CMS_is_detached(cms)) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "manifest.sig carries content of its own; a detached signature is required");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	if (!sis || sk_CMS_SignerInfo_num(sis) != 1) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "manifest.sig has %d signers; exactly one is required",
				 sis ? sk_CMS_SignerInfo_num(sis) : 0);
		goto out;
	}
	cert = find_signer_cert(cms, sk_CMS_SignerInfo_value(sis, 0));
	who = cert ? subject_of(cert) : NULL;
	content = BIO_new_mem_buf(data, (int)len);
	if (!content) {
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (CMS_verify(cms, NULL, trust->store, content, NULL, CMS_BINARY) != 1) {
		ssl_reason(reason, sizeof(reason));
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "signature of manifest.ini is not valid: %s (signer: %s)",
				 reason, who ? who : "certificate not included");
		goto out;
	}
	if (!cert) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "manifest.sig does not include the signer certificate");
		goto out;
	}
	xku = X509_get_extension_flags(cert);
	ku = X509_get_key_usage(cert);
	if ((xku & EXFLAG_XKUSAGE) &&
	    !(X509_get_extended_key_usage(cert) & XKU_CODE_SIGN)) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "signer %s is not allowed to sign code (extendedKeyUsage lacks codeSigning)",
				 who ? who : "?");
		goto out;
	}
	if ((xku & EXFLAG_KUSAGE) && !(ku & KU_DIGITAL_SIGNATURE)) {
		rc = hfx_err_set(err, HFX_ERR_SIGNATURE,
				 "signer %s is not allowed to sign (keyUsage lacks digitalSignature)",
				 who ? who : "?");
		goto out;
	}
	*signer = who;
	who = NULL;
out:
	ERR_clear_error();
	free(who);
	X509_free(cert);
	BIO_free(content);
	CMS_ContentInfo_free(cms);
	return rc;
}

static enum hfx_rc open_pem_bio(const char *path, const char *what, BIO **out,
				struct hfx_err *err)
{
	*out = BIO_new_file(path, "r");
	if (!*out) {
		ERR_clear_error();
		return hfx_err_sys(err, HFX_ERR_FAILED, "cannot read %s %s",
				   what, path);
	}
	return HFX_OK;
}

enum hfx_rc hfx_signature_sign(const char *key_path, const char *cert_path,
			       const char *chain_path, const void *data,
			       size_t len, unsigned char **sig, size_t *sig_len,
			       struct hfx_err *err)
{
	BIO *bio = NULL, *content = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *c;
	STACK_OF(X509) *chain = NULL;
	CMS_ContentInfo *cms = NULL;
	unsigned char *der = NULL;
	char reason[256];
	enum hfx_rc rc;
	int n;

	*sig = NULL;
	ERR_clear_error();
	if ((rc = open_pem_bio(key_path, "key", &bio, err)) != HFX_OK)
		goto out;
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = NULL;
	if (!key) {
		ssl_reason(reason, sizeof(reason));
		rc = hfx_err_set(err, HFX_ERR_FAILED,
				 "%s is not a PEM private key: %s", key_path,
				 reason);
		goto out;
	}
	if ((rc = open_pem_bio(cert_path, "certificate", &bio, err)) != HFX_OK)
		goto out;
	cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	bio = NULL;
	if (!cert) {
		ssl_reason(reason, sizeof(reason));
		rc = hfx_err_set(err, HFX_ERR_FAILED,
				 "%s is not a PEM certificate: %s", cert_path,
				 reason);
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		ERR_clear_error();
		rc = hfx_err_set(err, HFX_ERR_FAILED,
				 "key %s does not match certificate %s",
				 key_path, cert_path);
		goto out;
	}
	if (chain_path) {
		if ((rc = open_pem_bio(chain_path, "chain", &bio, err)) != HFX_OK)
			goto out;
		chain = sk_X509_new_null();
		while (chain && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
			sk_X509_push(chain, c);
		ERR_clear_error();
		if (!chain || sk_X509_num(chain) == 0) {
			rc = hfx_err_set(err, HFX_ERR_FAILED,
					 "%s holds no PEM certificate",
					 chain_path);
			goto out;
		}
	}
	content = BIO_new_mem_buf(data, (int)len);
	cms = content ? CMS_sign(cert, key, chain, content,
				 CMS_BINARY | CMS_DETACHED)
		      : NULL;
	if (!cms || (n = i2d_CMS_ContentInfo(cms, &der)) <= 0) {
		ssl_reason(reason, sizeof(reason));
		rc = hfx_err_set(err, HFX_ERR_FAILED, "signing failed: %s",
				 reason);
		goto out;
	}
	*sig = malloc((size_t)n);
	if (!*sig) {
		rc = hfx_err_set(err, HFX_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*sig, der, (size_t)n);
	*sig_len = (size_t)n;
	rc = HFX_OK;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	CMS_ContentInfo_free(cms);
	BIO_free(content);
	BIO_free(bio);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
