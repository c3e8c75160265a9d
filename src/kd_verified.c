/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Tokens this process has verified, by their exact bytes.  A customer's
 * script sends the same token with every call, and verifying it (a MAC,
 * base64url, a JSON parse) cost more than the rest of a read.  What a
 * hit skips is only what the token's bytes decide: its signature and
 * its claims under this server's key and issuer.  The times are checked
 * against each request's clock, and revocation, the client and the
 * password fingerprint on every request, as for a token never seen.
 *
 * A fixed table per process, one mutex, no allocation after child
 * init.  A set of KD_VERIFIED_WAYS slots is chosen by the token's last
 * characters (its MAC, so spread evenly); a full set evicts in turn.
 * The lookup compares the whole token in constant time, so timing does
 * not tell how much of a guess matched a cached token.
 */

#include "apr_thread_mutex.h"

#include <openssl/crypto.h>

#include "mod_kdata.h"
#include "kd_verified.h"
#include "kd_hash.h"
#include "kd_jwt.h"

#define KD_VERIFIED_SETS 256            /* a power of two */
#define KD_FP_SLOTS 512                 /* a power of two */
#define KD_FP_MAXLEN 128                /* bcrypt: 60, WHMCS md5: 32-45 */
#define KD_VERIFIED_WAYS 4
#define KD_VERIFIED_MAXLEN 640          /* longer tokens are not kept */

typedef struct {
    const kd_srv_conf *sconf;   /* key and issuer it was verified under */
    apr_size_t len;             /* 0: empty */
    char tok[KD_VERIFIED_MAXLEN];
    kd_jwt_claims claims;
} kd_verified_slot;

typedef struct {
    kd_verified_slot way[KD_VERIFIED_WAYS];
    unsigned int next;          /* the way to evict next */
} kd_verified_set;

static kd_verified_set *kd_sets;

/* Password fingerprints (kd_auth_fingerprint) by hash: the same few
 * thousand hashes come back from the database request after request. */
typedef struct {
    const kd_srv_conf *sconf;   /* key it was made under */
    char hash[KD_FP_MAXLEN];    /* "": empty */
    char fp[KD_VERIFIED_FPLEN];
} kd_fp_slot;

static kd_fp_slot *kd_fps;
#if APR_HAS_THREADS
static apr_thread_mutex_t *kd_slots_lock;
#endif

void kd_verified_child_init(apr_pool_t *p)
{
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&kd_slots_lock, APR_THREAD_MUTEX_DEFAULT,
                                p) != APR_SUCCESS) {
        return;                 /* no cache: every token is verified */
    }
#endif
    kd_sets = apr_pcalloc(p, sizeof(*kd_sets) * KD_VERIFIED_SETS);
    kd_fps = apr_pcalloc(p, sizeof(*kd_fps) * KD_FP_SLOTS);
}

static kd_verified_set *kd_set_of(const char *tok, apr_size_t len)
{
    apr_size_t from = len > 8 ? len - 8 : 0;       /* the MAC's end */
    apr_uint32_t h = kd_fnv1a(tok + from, len - from);

    return &kd_sets[h & (KD_VERIFIED_SETS - 1)];
}

static void kd_lock(void)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(kd_slots_lock);
#endif
}

static void kd_unlock(void)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(kd_slots_lock);
#endif
}

int kd_verified_get(const kd_srv_conf *sconf, const char *tok,
                    apr_size_t len, kd_jwt_claims *claims)
{
    kd_verified_set *set;
    int i, hit = 0;

    if (!kd_sets || len == 0 || len > KD_VERIFIED_MAXLEN) {
        return 0;
    }
    set = kd_set_of(tok, len);
    kd_lock();
    for (i = 0; i < KD_VERIFIED_WAYS && !hit; i++) {
        const kd_verified_slot *s = &set->way[i];

        hit = s->len == len && s->sconf == sconf
              && CRYPTO_memcmp(s->tok, tok, len) == 0;
        if (hit) {
            *claims = s->claims;
        }
    }
    kd_unlock();
    return hit;
}

void kd_verified_put(const kd_srv_conf *sconf, const char *tok,
                     apr_size_t len, const kd_jwt_claims *claims)
{
    kd_verified_set *set;
    kd_verified_slot *s;

    if (!kd_sets || len == 0 || len > KD_VERIFIED_MAXLEN) {
        return;
    }
    set = kd_set_of(tok, len);
    kd_lock();
    s = &set->way[set->next++ % KD_VERIFIED_WAYS];
    s->sconf = sconf;
    s->len = len;
    memcpy(s->tok, tok, len);
    s->claims = *claims;
    kd_unlock();
}

int kd_verified_fp_get(const kd_srv_conf *sconf, const char *hash,
                       char *fp)
{
    apr_size_t len = strlen(hash);
    kd_fp_slot *s;
    int hit;

    if (!kd_fps || len == 0 || len >= KD_FP_MAXLEN) {
        return 0;
    }
    s = &kd_fps[kd_fnv1a(hash, len) & (KD_FP_SLOTS - 1)];
    kd_lock();
    hit = s->sconf == sconf && !strcmp(s->hash, hash);
    if (hit) {
        memcpy(fp, s->fp, KD_VERIFIED_FPLEN);
    }
    kd_unlock();
    return hit;
}

void kd_verified_fp_put(const kd_srv_conf *sconf, const char *hash,
                        const char *fp)
{
    apr_size_t len = strlen(hash);
    kd_fp_slot *s;

    if (!kd_fps || len == 0 || len >= KD_FP_MAXLEN) {
        return;
    }
    s = &kd_fps[kd_fnv1a(hash, len) & (KD_FP_SLOTS - 1)];
    kd_lock();
    s->sconf = sconf;
    memcpy(s->hash, hash, len + 1);
    memcpy(s->fp, fp, KD_VERIFIED_FPLEN);
    kd_unlock();
}
