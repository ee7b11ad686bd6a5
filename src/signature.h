/*
 * signature.h -- CMS (PKCS#7) detached signatures over manifest.ini.
 *
 * Small API: load the trust store (etc/hfx/trust/\*.pem), verify a detached
 * DER signature over exact bytes, and make one.
 *
 * Verification rules, all required:
 *   - the signature is DER CMS of type SignedData (asserted, not assumed),
 *     detached (it must not carry content of its own: what is verified is
 *     the manifest we were given, byte for byte, and nothing else);
 *   - exactly one signer, whose certificate chains to a certificate of the
 *     trust store (intermediates may come from the CMS itself); a trusted
 *     publisher certificate may itself be the anchor (partial chains);
 *   - every certificate in the chain is valid now (not expired, not yet
 *     valid);
 *   - if the signer certificate restricts its use, it allows code signing
 *     (extendedKeyUsage codeSigning) and digital signatures (keyUsage).
 * The verified bytes are the same buffer the caller then parses: there is
 * no second read of the manifest between verification and use.
 */
#ifndef HFX_SIGNATURE_H
#define HFX_SIGNATURE_H

#include <stddef.h>

#include "error.h"

#define HFX_SIGNATURE_MAX (256u << 10)	/* 256 KiB of DER */

struct hfx_trust;

/* Load every *.pem in the directory `trustdir` (an open fd, or -1 if it
 * does not exist); `label` names it in messages.  A corrupt PEM file is an
 * error naming the file (HFX_ERR_SIGNATURE); an empty store is allowed
 * here and refuses every package at verification. */
enum hfx_rc hfx_trust_load(int trustdir, const char *label,
			   struct hfx_trust **out, struct hfx_err *err);
void hfx_trust_free(struct hfx_trust *trust);

/* Verify `sig` over `data`.  On success *signer (malloc'd) is the signer's
 * subject in RFC 2253 form.  Failures are HFX_ERR_SIGNATURE and name the
 * signer when it can be read. */
enum hfx_rc hfx_signature_verify(const struct hfx_trust *trust,
				 const void *data, size_t len,
				 const void *sig, size_t sig_len,
				 char **signer, struct hfx_err *err);

/* Sign `data` with the PEM key and certificate files; `chain_path` (or
 * NULL) holds intermediate certificates to embed.  *sig is malloc'd DER. */
enum hfx_rc hfx_signature_sign(const char *key_path, const char *cert_path,
			       const char *chain_path, const void *data,
			       size_t len, unsigned char **sig, size_t *sig_len,
			       struct hfx_err *err);

#endif
