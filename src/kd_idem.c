/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Idempotency-Key for addorder: a client that retries (a timeout, a
 * dropped connection) gets the first answer again instead of a second
 * VPS.  Keys are per client and live in the shared cache: while the
 * first request runs, a repeat gets 409; once it has answered, a repeat
 * with the same body gets that answer again (Idempotent-Replayed: true),
 * one with another body 422.  A 5xx answer forgets the key, so the
 * client can simply retry.
 */

#include "apr_strings.h"

#include <openssl/evp.h>

#include "mod_kdata.h"
#include "kd_idem.h"
#include "kd_cache.h"
#include "kd_hash.h"
#include "kd_reply.h"

/* How long answers are kept, and how long a request may hold a key
 * before it is presumed dead (its process killed mid-request). */
#define KD_IDEM_KEEP    apr_time_from_sec(86400)
#define KD_IDEM_RUNNING apr_time_from_sec(120)
#define KD_IDEM_MAX_BODY 4096

typedef struct {
    char state;                 /* 'R' running, 'D' done */
    int status;
    unsigned char fp[32];       /* SHA-256 of the request body */
} kd_idem_head;

void kd_idem_fingerprint(kd_req *kr, const char *body, apr_size_t len)
{
    unsigned int n = 0;

    EVP_Digest(body, len, kr->idem_fp, &n, EVP_sha256(), NULL);
}

static char *kd_idem_cache_key(kd_req *kr, const char *key)
{
    char hex[2 * 16 + 1];

    return apr_psprintf(kr->r->pool, "i:" KD_I64 ":%s",
                        (apr_int64_t)kr->caller.client_id,
                        kd_sha256_hex(key, strlen(key), 16, hex));
}

/* The recorder kd_idem_begin registers for the key it took (data): the
 * answer, or, after a 5xx, nothing, so the client can simply retry.  A
 * cache that fails here leaves the running entry, which expires as a
 * dead request's would (KD_IDEM_RUNNING); the answer still goes out. */
static int kd_idem_record(kd_req *kr, void *data, int status,
                          const char *text)
{
    request_rec *r = kr->r;
    const char *key = data;
    apr_size_t n = strlen(text);
    kd_idem_head h;
    char *buf;

    if (kd_cache_lock(r)) {
        return KD_NEXT;
    }
    if (status >= 500 || n > KD_IDEM_MAX_BODY) {
        kd_cache_del(r, key);
    }
    else {
        memset(&h, 0, sizeof(h));
        h.state = 'D';
        h.status = status;
        memcpy(h.fp, kr->idem_fp, sizeof(h.fp));
        buf = apr_palloc(r->pool, sizeof(h) + n);
        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), text, n);
        kd_cache_put(r, key, r->request_time + KD_IDEM_KEEP, buf,
                     (unsigned int)(sizeof(h) + n));
    }
    kd_cache_unlock(r);
    return KD_NEXT;
}

int kd_idem_begin(kd_req *kr)
{
    request_rec *r = kr->r;
    const char *hdr = apr_table_get(r->headers_in, "Idempotency-Key");
    char *key;
    unsigned char buf[sizeof(kd_idem_head) + KD_IDEM_MAX_BODY + 1];
    unsigned int len = sizeof(buf) - 1;
    kd_idem_head h;
    const char *c;
    int found;

    if (!hdr) {
        return KD_NEXT;
    }
    for (c = hdr; *c > 0x20 && *c < 0x7f; c++) {
    }
    if (!*hdr || *c || c - hdr > 255) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "Invalid Idempotency-Key: 1 to 255 printable ASCII "
                        "characters");
    }
    key = kd_idem_cache_key(kr, hdr);
    if (kd_cache_lock(r)) {
        return kd_internal(kr);
    }
    found = kd_cache_get(r, key, buf, &len);
    if (found == 1) {
        memset(&h, 0, sizeof(h));
        h.state = 'R';
        memcpy(h.fp, kr->idem_fp, sizeof(h.fp));
        found = kd_cache_put(r, key, r->request_time + KD_IDEM_RUNNING,
                             &h, sizeof(h)) ? -1 : 1;
    }
    kd_cache_unlock(r);
    if (found < 0 || (found == 0 && len < sizeof(h))) {
        return kd_internal(kr);
    }
    if (found == 1) {
        kd_reply_on(kr, kd_idem_record, key);   /* ours until answered */
        return KD_NEXT;
    }
    memcpy(&h, buf, sizeof(h));
    if (memcmp(h.fp, kr->idem_fp, sizeof(h.fp))) {
        return kd_error(kr, HTTP_UNPROCESSABLE_ENTITY, "message",
                        "This Idempotency-Key was used with a different "
                        "request");
    }
    if (h.state != 'D') {
        return kd_error(kr, HTTP_CONFLICT, "message",
                        "A request with this Idempotency-Key is still in "
                        "progress");
    }
    buf[len] = '\0';
    apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(01101)
                  "addorder replayed for client " KD_I64,
                  (apr_int64_t)kr->caller.client_id);
    return kd_reply_raw(kr, h.status,
                        apr_pstrdup(r->pool, (char *)buf + sizeof(h)));
}
