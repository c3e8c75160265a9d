/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The bearer guard for the /api/v1/ routes: the token is checked without the
 * database first (signature, algorithm, claims, times), then, once a
 * connection is at hand, the client it names must still exist and, for
 * a WHMCS 8 user, still be linked to that client.  The answers are the
 * original API's: "token not provided", "token invalid", "token
 * expired", all 401 with WWW-Authenticate.
 */

#include "apr_strings.h"
#include "apr_atomic.h"
#include "apr_lib.h"

#include <openssl/rand.h>
#include <openssl/crypto.h>

#include "mod_kdata.h"
#include "kd_auth.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_jwt.h"
#include "kd_reply.h"
#include "kd_verified.h"
#include "kd_whmcs.h"

/* Revoked tokens expired this long ago are deleted, at most this many
 * at a time and once a second per process: bounded work on /logout and
 * /refresh, no cron of ours. */
#define KD_REVOKED_PURGE "100"

const kd_stmt kd_stmts_auth[] = {
    {"kd_auth_client7",
     "SELECT " KD_CALLER_COLS7 " FROM " KD_CALLER_FROM7 " WHERE c.id = %d",
     KD_STMT_OWN},
    {"kd_auth_client8",
     "SELECT " KD_CALLER_COLS8 " FROM " KD_CALLER_FROM8 " WHERE c.id = %d",
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {"kd_auth_revoke",
     "INSERT INTO mod_kdata_revoked (jti, expires) VALUES (%s, %d)",
     KD_STMT_OWN},
    {"kd_auth_purge",
     "DELETE FROM mod_kdata_revoked WHERE expires < %d LIMIT "
     KD_REVOKED_PURGE, KD_STMT_OWN},
    {NULL, NULL, 0}
};

/* When this process last purged, in seconds. */
static apr_uint32_t kd_revoked_purged;

int kd_auth_bind(const kd_req *kr, int v8, const char **args)
{
    args[0] = kr->caller.claims.jti;
    if (v8) {
        args[1] = kd_id(kr->r->pool, kr->caller.user_id);
        return 2;
    }
    return 1;
}

int kd_auth_bind_locked(const kd_req *kr, int v8, const char **args)
{
    if (kd_auth_bind(kr, v8, args) == 1) {
        return 1;
    }
    args[2] = args[3] = args[1];
    return 4;
}

void kd_auth_fingerprint(const kd_req *kr, const char *hash, char *out)
{
    unsigned char mac[32];
    char b64[KD_B64URL_ENCLEN(32)];
    const char *h = hash ? hash : "";
    int ok;

    if (kd_verified_fp_get(kr->sconf, h, out)) {
        return;
    }
    /* Keyed with the token secret: the claim tells nothing about the
     * hash, and any change of password (or of its hash) changes it.  A
     * MAC failure leaves a fingerprint no token carries. */
    ok = kd_jwt_hmac(kr->sconf->mac, h, strlen(h), mac) == 0;
    if (!ok) {
        memset(mac, 0xff, sizeof(mac));
    }
    kd_b64url_encode(b64, mac, 16);
    apr_cpystrn(out, b64, KD_VERIFIED_FPLEN);
    if (ok) {
        kd_verified_fp_put(kr->sconf, h, out);
    }
}

int kd_auth_issue(kd_req *kr, long long client, long long user,
                  const char *hash, char *out, apr_size_t outsz)
{
    kd_jwt_claims c;
    unsigned char rnd[12];
    long long now = apr_time_sec(kr->r->request_time);

    memset(&c, 0, sizeof(c));
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00402)
                      "no randomness for a token id");
        return -1;
    }
    kd_b64url_encode(c.jti, rnd, sizeof(rnd));
    apr_cpystrn(c.iss, kr->sconf->issuer, sizeof(c.iss));
    c.sub = client;
    c.uid = user;
    c.iat = now;
    c.nbf = now;
    c.exp = now + kr->sconf->ttl;
    kd_auth_fingerprint(kr, hash, c.pwf);
    return kd_jwt_sign(out, outsz, kr->sconf->mac, &c)
           ? 0 : -1;
}

static int kd_token_error(kd_req *kr, const char *what, const char *why)
{
    request_rec *r = kr->r;

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(00401)
                  "bearer token refused from %s: %s", r->useragent_ip, why);
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   strcmp(what, "token not provided")
                   ? "Bearer realm=\"kdata\", error=\"invalid_token\""
                   : "Bearer realm=\"kdata\"");
    return kd_error(kr, HTTP_UNAUTHORIZED, "error", what);
}

int kd_auth_revoke(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(kr->r->request_time);
    apr_uint32_t last = apr_atomic_read32(&kd_revoked_purged);
    const char *args[2];
    int rc, dup;

    if (now != last
        && apr_atomic_cas32(&kd_revoked_purged, now, last) == last) {
        args[0] = kd_id(p, now);
        if ((rc = kd_db_exec(kr, "kd_auth_purge", NULL, 1, args))
            != KD_NEXT) {
            return rc;
        }
    }
    /* The primary key decides: of two requests racing to refresh or log
     * out the same token, on any hosts, one inserts it. */
    args[0] = kr->caller.claims.jti;
    args[1] = kd_id(p, kr->caller.claims.exp + kr->sconf->leeway + 1);
    if ((rc = kd_db_exec_unique(kr, "kd_auth_revoke", 2, args, &dup))
        != KD_NEXT) {
        return rc;
    }
    return dup ? kd_token_error(kr, "token invalid", "revoked already")
               : KD_NEXT;
}

int kd_auth_token(kd_req *kr)
{
    const char *h = apr_table_get(kr->r->headers_in, "Authorization");
    const char *tok;
    kd_jwt_status st;
    long long now;
    apr_size_t len;

    if (!h || !*h) {
        return kd_token_error(kr, "token not provided", "no Authorization");
    }
    if (strncasecmp(h, "Bearer", 6) || (h[6] != ' ' && h[6] != '\t')) {
        return kd_token_error(kr, "token not provided", "not a Bearer");
    }
    for (tok = h + 7; *tok == ' ' || *tok == '\t'; tok++) {
    }
    len = strlen(tok);
    while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t')) {
        len--;
    }
    if (!len) {
        return kd_token_error(kr, "token not provided", "empty Bearer");
    }
    now = apr_time_sec(kr->r->request_time);
    if (kd_verified_get(kr->sconf, tok, len, &kr->caller.claims)) {
        st = kd_jwt_check_times(&kr->caller.claims, now, kr->sconf->leeway);
    }
    else {
        st = kd_jwt_verify(tok, len, kr->sconf->mac, kr->sconf->issuer,
                           now, kr->sconf->leeway, &kr->caller.claims);
        if (st == KD_JWT_OK) {
            kd_verified_put(kr->sconf, tok, len, &kr->caller.claims);
        }
    }
    if (st == KD_JWT_EXPIRED) {
        return kd_token_error(kr, "token expired", kd_jwt_strerror(st));
    }
    if (st != KD_JWT_OK) {
        return kd_token_error(kr, "token invalid", kd_jwt_strerror(st));
    }
    /* No token lives longer than this server issues them for (a lowered
     * KdataTokenTTL also shortens the tokens already out). */
    if (kr->caller.claims.exp - kr->caller.claims.iat
        > (long long)kr->sconf->ttl + kr->sconf->leeway) {
        return kd_token_error(kr, "token invalid", "lifetime over the TTL");
    }
    kr->caller.client_id = kr->caller.claims.sub;
    kr->caller.user_id = kr->caller.claims.uid;
    /* Whether it was revoked is read with the caller, from the database
     * (KD_CALLER_REVOKED): no cache can forget a logout. */
    return KD_NEXT;
}

int kd_auth_v8(kd_req *kr, int *v8)
{
    kd_schema schema;
    int rc;

    if ((rc = kd_db_acquire(kr)) != KD_NEXT
        || (rc = kd_whmcs_schema(kr, &schema)) != KD_NEXT) {
        return rc;
    }
    /* A token without a user (WHMCS 7, or issued then) acts as owner. */
    *v8 = schema == KD_SCHEMA_WHMCS8 && kr->caller.user_id > 0;
    return KD_NEXT;
}

int kd_auth_from_rows(kd_req *kr, const kd_rows *rows, int col)
{
    kd_caller *c = &kr->caller;
    const char *owner, *revoked;

    if (kd_rows_count(rows) < 1) {
        return kd_token_error(kr, "token invalid", "client no longer exists");
    }
    revoked = kd_rows_get(rows, 0, col);
    if (!revoked || strcmp(revoked, "0")) {
        return kd_token_error(kr, "token invalid", "revoked (logged out)");
    }
    c->status = kd_rows_get(rows, 0, col + 1);
    c->pwhash = kd_rows_get(rows, 0, col + 2);
    owner = kd_rows_get(rows, 0, col + 3);
    if (!owner) {
        return kd_token_error(kr, "token invalid",
                              "user no longer linked to the client");
    }
    c->owner = strcmp(owner, "0") != 0;
    c->permissions = kd_rows_get(rows, 0, col + 4);
    /* A password changed since the token was issued ends it. */
    if (c->claims.pwf[0]) {
        char now[32];

        kd_auth_fingerprint(kr, c->pwhash, now);
        if (CRYPTO_memcmp(now, c->claims.pwf, 23)) {
            return kd_token_error(kr, "token invalid",
                                  "password changed since it was issued");
        }
    }
    return KD_NEXT;
}

int kd_auth_client(kd_req *kr)
{
    const char *args[3];
    kd_rows *rows;
    int rc, v8, n;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = kd_id(kr->r->pool, kr->caller.client_id);
    rc = kd_db_select(kr, v8 ? "kd_auth_client8" : "kd_auth_client7", &rows,
                      n, args);
    if (rc != KD_NEXT) {
        return rc;
    }
    return kd_auth_from_rows(kr, rows, 0);
}

int kd_auth_allowed(const kd_req *kr)
{
    const char *permission = kr->permission;
    const char *p = kr->caller.permissions;
    apr_size_t n;

    if (kr->caller.owner || !permission) {
        return 1;
    }
    n = strlen(permission);
    /* WHMCS stores a comma-separated list of permission names. */
    while (p && *p) {
        while (*p == ',' || apr_isspace(*p)) {
            p++;
        }
        if (!strncmp(p, permission, n)
            && (p[n] == ',' || p[n] == '\0' || apr_isspace(p[n]))) {
            return 1;
        }
        p = strchr(p, ',');
    }
    return 0;
}
