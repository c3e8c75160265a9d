/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * POST /login (email, password[, clientid]): checks a WHMCS credential
 * and issues an HS256 token for one client account.
 *
 * WHMCS 8 keeps credentials in tblusers, linked to client accounts by
 * tblusers_clients; WHMCS 7 and older keep them in tblclients.  Which
 * one applies is read from the database (kd_whmcs_schema).  Every stored
 * format WHMCS has used is verified (kd_passwd.c) and a legacy one is
 * replaced by bcrypt on success, as WHMCS does.  Unknown email, wrong
 * password, closed account and an account the user cannot act for all
 * get the one answer, after the same amount of hashing work and the
 * same throttling (kd_throttle.c): failures count against the address
 * and against the account the lookup found, whatever the spelling.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_body.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_hash.h"
#include "kd_json.h"
#include "kd_jwt.h"
#include "kd_reply.h"
#include "kd_throttle.h"
#include "kd_passwd.h"
#include "kd_whmcs.h"

/* The client row as the original API returned it, minus the secrets
 * (password, authdata, security answer, card and bank data, gateway
 * ids, reset keys).  KD_CLIENT_COLS and kd_client_cols[] go together:
 * same columns, same order; 1 marks a column sent as a JSON number. */
#define KD_CLIENT_COLS \
    "c.id, " KD_TXT("c.uuid", 64) ", " KD_TXT("c.firstname", 255) ", " \
    KD_TXT("c.lastname", 255) ", " KD_TXT("c.companyname", 255) ", " \
    KD_TXT("c.email", 255) ", " KD_TXT("c.address1", 255) ", " \
    KD_TXT("c.address2", 255) ", " KD_TXT("c.city", 255) ", " \
    KD_TXT("c.state", 255) ", " KD_TXT("c.postcode", 64) ", " \
    KD_TXT("c.country", 64) ", " KD_TXT("c.phonenumber", 64) ", " \
    KD_TXT("c.authmodule", 255) ", c.currency, " \
    KD_TXT("c.defaultgateway", 255) ", c.credit, c.taxexempt, " \
    "c.latefeeoveride, c.overideduenotices, c.separateinvoices, " \
    "c.disableautocc, c.datecreated, " KD_TXT("c.notes", 16383) ", " \
    "c.billingcid, c.securityqid, c.groupid, c.lastlogin, " \
    KD_TXT("c.ip", 64) ", " KD_TXT("c.host", 255) ", c.status, " \
    KD_TXT("c.language", 64) ", c.emailoptout, c.overrideautoclose, " \
    "c.allow_sso, c.email_verified, c.created_at, c.updated_at"

static const struct {
    const char *name;
    int number;
} kd_client_cols[] = {
    {"id", 1}, {"uuid", 0}, {"firstname", 0}, {"lastname", 0},
    {"companyname", 0}, {"email", 0}, {"address1", 0}, {"address2", 0},
    {"city", 0}, {"state", 0}, {"postcode", 0}, {"country", 0},
    {"phonenumber", 0}, {"authmodule", 0}, {"currency", 1},
    {"defaultgateway", 0}, {"credit", 0}, {"taxexempt", 1},
    {"latefeeoveride", 1}, {"overideduenotices", 1},
    {"separateinvoices", 1}, {"disableautocc", 1}, {"datecreated", 0},
    {"notes", 0}, {"billingcid", 1}, {"securityqid", 1}, {"groupid", 1},
    {"lastlogin", 0}, {"ip", 0}, {"host", 0}, {"status", 0},
    {"language", 0}, {"emailoptout", 1}, {"overrideautoclose", 1},
    {"allow_sso", 1}, {"email_verified", 1}, {"created_at", 0},
    {"updated_at", 0}
};
#define KD_C_STATUS 30          /* "status" in kd_client_cols[] */
#define KD_NCLIENT_COLS \
    ((int)(sizeof(kd_client_cols) / sizeof(kd_client_cols[0])))

/* Result layout of every login statement: the typed email's key (see
 * KD_EMAIL_KEY), the credential's id and hash (NULL when no account has
 * the email), then the client columns (all NULL when no client is
 * linked). */
#define KD_L_KEY     0
#define KD_L_ID      1
#define KD_L_HASH    2
#define KD_L_CLIENT  3

/* The typed email's collation key, hashed: its weight under
 * utf8mb4_unicode_ci (the rules of WHMCS's utf8_unicode_ci) without the
 * trailing spaces that the comparison ignores, so that every spelling
 * the lookup takes for one email (case, accents, trailing spaces) has
 * the same key.  An email no account has is throttled under it; asked in
 * the lookup itself, it costs known and unknown emails the same. */
#define KD_EMAIL_KEY \
    "(SELECT SHA2(WEIGHT_STRING(CONVERT(RTRIM(%s) USING utf8mb4) " \
    "COLLATE utf8mb4_unicode_ci), 256) AS k) k"

const kd_stmt kd_stmts_login[] = {
    /* WHMCS 8: the user by email, and the client they own (or, failing
     * that, the first they may act for). */
    {"kd_login8",
     "SELECT k.k, u.id, u.password, " KD_CLIENT_COLS " FROM " KD_EMAIL_KEY
     " LEFT JOIN tblusers u ON u.email = %s "
     "LEFT JOIN tblusers_clients uc ON uc.auth_user_id = u.id "
     "LEFT JOIN tblclients c ON c.id = uc.client_id "
     "ORDER BY uc.owner DESC, c.id LIMIT 1", 1},
    /* WHMCS 8, the client chosen with clientid. */
    {"kd_login8_client",
     "SELECT k.k, u.id, u.password, " KD_CLIENT_COLS " FROM " KD_EMAIL_KEY
     " LEFT JOIN tblusers u ON u.email = %s "
     "LEFT JOIN tblusers_clients uc ON uc.auth_user_id = u.id "
     "AND uc.client_id = %d "
     "LEFT JOIN tblclients c ON c.id = uc.client_id LIMIT 1", 1},
    {"kd_login8_rehash",
     "UPDATE tblusers SET password = %s, updated_at = NOW() "
     "WHERE id = %d AND password = %s", 1},
    {"kd_login8_hash",
     "SELECT password FROM tblusers WHERE id = %d", 1},
    {"kd_login8_seen",
     "UPDATE tblusers SET last_ip = %s, last_hostname = %s, "
     "last_login = NOW() WHERE id = %d", 1},
    /* WHMCS 7: email is not unique in tblclients; an open account wins,
     * then the oldest. */
    {"kd_login7",
     "SELECT k.k, c.id, " KD_TXT("c.password", 255) ", " KD_CLIENT_COLS
     " FROM " KD_EMAIL_KEY " LEFT JOIN tblclients c ON c.email = %s "
     "ORDER BY c.status = 'Closed', c.id LIMIT 1", 0},
    {"kd_login7_rehash",
     "UPDATE tblclients SET password = %s, updated_at = NOW() "
     "WHERE id = %d AND password = %s", 0},
    {"kd_login7_hash",
     "SELECT " KD_TXT("password", 255) " FROM tblclients WHERE id = %d", 0},
    {"kd_login7_seen",
     "UPDATE tblclients SET lastlogin = NOW(), ip = %s, host = %s "
     "WHERE id = %d", 0},
    /* WHMCS's own bans (Ban Control), still in force. */
    {"kd_login_banned",
     "SELECT COUNT(*) FROM tblbannedips WHERE ip = %s AND expires > NOW()",
     0},
    {NULL, NULL, 0}
};

/* The typed email as the log shows it (between double quotes): every
 * byte but letters, digits and the punctuation of addresses is written
 * %XX, space, quote, backslash, control and non-ASCII bytes included.
 * httpd escapes log lines once more (backslashes, control bytes); this
 * leaves it nothing to escape, so the email reads back as typed and
 * cannot close its quotes, break the line or pass for another field. */
static const char *kd_login_logitem(apr_pool_t *p, const char *email)
{
    static const char hex[] = "0123456789ABCDEF";
    static const char punct[] = "@._+-!#$&'*/=?^`{|}~";
    apr_size_t n = strlen(email);
    char *out, *o;

    if (n > 255) {
        n = 255;                /* as long as an email can be */
    }
    out = o = apr_palloc(p, 3 * n + 1);
    for (; n; n--, email++) {
        unsigned char c = (unsigned char)*email;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || strchr(punct, c)) {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* One line per failure, with the client address and never the password,
 * in a fixed shape that fail2ban can match (conf/fail2ban/): the address
 * comes first and the email, quoted, last. */
static int kd_login_refused(kd_req *kr, const char *who, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, kr->r, KDLOGNO(00501)
                  "login failed from %s (%s) for \"%s\"",
                  kr->r->useragent_ip, why, who);
    return kd_error(kr, HTTP_UNAUTHORIZED, "messages", "User not exists");
}

static json_t *kd_client_json(const kd_rows *rows)
{
    json_t *o = json_object();
    int i;

    for (i = 0; i < KD_NCLIENT_COLS; i++) {
        const char *v = kd_rows_get(rows, 0, KD_L_CLIENT + i);
        json_t *j;

        if (!v) {
            j = json_null();
        }
        else if (kd_client_cols[i].number) {
            j = json_integer(apr_atoi64(v));
        }
        else {
            j = kd_json_str(v);
        }
        json_object_set_new_nocheck(o, kd_client_cols[i].name, j);
    }
    return o;
}

/* Legacy hashes become bcrypt, as WHMCS does after a login.  The old
 * hash is part of the WHERE, so a password changed meanwhile is never
 * overwritten.  When the row no longer holds the old hash (a parallel
 * login of the same user rehashed it first, or the password changed),
 * the token must carry what the row holds now, and only if that still
 * takes this password: a token fingerprinting the old hash would be dead
 * on arrival.  A rehash that cannot be made does not fail the login. */
static int kd_rehash(kd_req *kr, int v8, const char *id, const char **cur,
                     const char *password, const char *who)
{
    char *hash = apr_palloc(kr->r->pool, KD_PW_HASH_SIZE);
    const char *args[3], *old = *cur, *now;
    kd_rows *rows;
    int rc, n = 0;

    if (!kd_pw_needs_rehash(old)) {
        return KD_NEXT;
    }
    if (kd_pw_bcrypt(hash, password, strlen(password),
                     kr->sconf->bcrypt_cost)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, kr->r, KDLOGNO(00503)
                      "cannot rehash a legacy password (no randomness?)");
        return KD_NEXT;
    }
    args[0] = hash;
    args[1] = id;
    args[2] = old;
    rc = kd_db_exec(kr, v8 ? "kd_login8_rehash" : "kd_login7_rehash", &n, 3,
                    args);
    if (rc != KD_NEXT) {
        return rc;
    }
    if (n == 1) {
        *cur = hash;            /* the token is issued against the new one */
        return KD_NEXT;
    }
    args[0] = id;
    rc = kd_db_select(kr, v8 ? "kd_login8_hash" : "kd_login7_hash", &rows, 1,
                      args);
    if (rc != KD_NEXT) {
        return rc;
    }
    now = kd_rows_count(rows) == 1 ? kd_rows_get(rows, 0, 0) : NULL;
    if (!now || !kd_pw_verify(password, strlen(password), now)) {
        return kd_login_refused(kr, who, "password changed during login");
    }
    *cur = now;
    return KD_NEXT;
}

/* A login on its way: what was typed, and what the lookup found. */
typedef struct {
    const char *email;
    const char *password;
    const char *who;            /* the email as the log shows it */
    long long cid;              /* clientid asked for, 0 if none */
    int v8;                     /* WHMCS 8 (tblusers) */
    kd_rows *rows;              /* the account: 0 or 1 row */
    const char *id;             /* its tblusers/tblclients id, or NULL */
    const char *hash;           /* its password hash, "" if none */
} kd_login_t;

/* The fields, checked before any database work. */
static int kd_login_args(kd_req *kr, kd_login_t *l)
{
    const char *clientid = kd_arg(kr, "clientid");
    int rc;

    l->email = kd_arg(kr, "email");
    l->password = kd_arg(kr, "password");
    if (!l->email || !*l->email || !l->email[strspn(l->email, " \t")]) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "The email field is required.");
    }
    if (!l->password || !*l->password
        || !l->password[strspn(l->password, " \t")]) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "The password field is required.");
    }
    if (clientid && (rc = kd_field_id(kr, "clientid", &l->cid)) != KD_NEXT) {
        return rc;
    }
    l->who = kd_login_logitem(kr->r->pool, l->email);
    if (strlen(l->email) > 255) {
        return kd_login_refused(kr, l->who, "email too long");
    }
    return KD_NEXT;
}

/* WHMCS's Ban Control, then the account the email finds (under WHMCS's
 * collation), and which bucket the attempt counts against. */
static int kd_login_lookup(kd_req *kr, kd_login_t *l, const char **bucket)
{
    request_rec *r = kr->r;
    const char *args[3], *key;
    char digest[2 * 16 + 1];
    kd_schema schema;
    kd_rows *rows;
    int rc;

    args[0] = r->useragent_ip;
    if ((rc = kd_db_select(kr, "kd_login_banned", &rows, 1, args))
        != KD_NEXT) {
        return rc;
    }
    if (strcmp(kd_rows_get(rows, 0, 0), "0")) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, KDLOGNO(00505)
                      "login refused from %s (banned in tblbannedips) "
                      "for \"%s\"", r->useragent_ip, l->who);
        return kd_error(kr, HTTP_FORBIDDEN, "message",
                        "Your IP address is banned");
    }
    if ((rc = kd_whmcs_schema(kr, &schema)) != KD_NEXT) {
        return rc;
    }
    l->v8 = schema == KD_SCHEMA_WHMCS8;
    args[0] = l->email;
    args[1] = l->email;
    if (l->v8 && l->cid) {
        args[2] = kd_id(r->pool, l->cid);
        rc = kd_db_select(kr, "kd_login8_client", &l->rows, 3, args);
    }
    else {
        rc = kd_db_select(kr, l->v8 ? "kd_login8" : "kd_login7", &l->rows,
                          2, args);
    }
    if (rc != KD_NEXT) {
        return rc;
    }

    /* The account found, or, for an email no account has, the email's
     * collation key (so its spellings share a bucket as an account's
     * do). */
    l->id = kd_rows_count(l->rows) == 1 ? kd_rows_get(l->rows, 0, KD_L_ID)
                                        : NULL;
    if (l->id) {
        *bucket = apr_pstrcat(r->pool, l->v8 ? "u:" : "c:", l->id, NULL);
        l->hash = kd_rows_get(l->rows, 0, KD_L_HASH);
    }
    else {
        key = kd_rows_count(l->rows) == 1
              ? kd_rows_get(l->rows, 0, KD_L_KEY) : NULL;
        if (!key) {
            key = l->email;
        }
        kd_sha256_hex(key, strlen(key), 16, digest);
        *bucket = apr_pstrcat(r->pool, "e:", digest, NULL);
    }
    if (!l->hash) {
        l->hash = "";
    }
    return KD_NEXT;
}

/* The verdict, with the same hashing work on every path: NULL when the
 * password opens a client account, else why not (for the log). */
static const char *kd_login_verdict(kd_req *kr, const kd_login_t *l)
{
    const char *status;
    apr_size_t len = strlen(l->password);

    if (!l->id) {
        kd_pw_dummy_verify(l->password, len, kr->sconf->bcrypt_cost);
        return "unknown email";
    }
    if (!kd_pw_verify(l->password, len, l->hash)) {
        /* A legacy (MD5, HMAC) hash is checked in microseconds: pay a
         * bcrypt as an unknown email does, or the answer's speed would
         * tell which emails have accounts. */
        if (kd_pw_format_of(l->hash) != KD_PW_BCRYPT) {
            kd_pw_dummy_verify(l->password, len, kr->sconf->bcrypt_cost);
        }
        return "wrong password";
    }
    if (!kd_rows_get(l->rows, 0, KD_L_CLIENT)) {
        return "no client account to act for";
    }
    status = kd_rows_get(l->rows, 0, KD_L_CLIENT + KD_C_STATUS);
    if (!status || !strcmp(status, "Closed")) {
        return "client account is Closed";
    }
    /* WHMCS 7 has one client per login; clientid must be it */
    if (!l->v8 && l->cid && l->cid != apr_atoi64(l->id)) {
        return "clientid not this account's";
    }
    return NULL;
}

/* The seed's answer: the token under "0", the client under "user". */
static int kd_login_reply(kd_req *kr, const kd_login_t *l, const char *token)
{
    json_t *body = json_object(), *tok = json_object(), *users = json_array();

    json_object_set_new_nocheck(tok, "token", json_string(token));
    json_object_set_new_nocheck(body, "0", tok);
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_array_append_new(users, kd_client_json(l->rows));
    json_object_set_new_nocheck(body, "user", users);
    return kd_reply(kr, HTTP_OK, body);
}

static int kd_login(kd_req *kr)
{
    request_rec *r = kr->r;
    kd_login_t l = {0};
    const char *args[3], *bucket = NULL, *why, *client;
    char token[KD_JWT_MAX_LEN];
    int rc;

    if ((rc = kd_login_args(kr, &l)) != KD_NEXT
        || (rc = kd_throttle_address(kr, l.who)) != KD_NEXT
        || (rc = kd_login_lookup(kr, &l, &bucket)) != KD_NEXT
        || (rc = kd_throttle_admit(kr, bucket, l.id != NULL, l.who))
           != KD_NEXT) {
        return rc;
    }
    why = kd_login_verdict(kr, &l);
    /* A failure the database could not record is not answered as one,
     * or a broken table would lift the account's limit. */
    if (kd_throttle_settle(kr, why != NULL) && why) {
        return kd_unavailable(kr);
    }
    if (why) {
        return kd_login_refused(kr, l.who, why);
    }

    if ((rc = kd_rehash(kr, l.v8, l.id, &l.hash, l.password, l.who))
        != KD_NEXT) {
        return rc;
    }
    args[0] = r->useragent_ip;
    args[1] = r->useragent_ip;
    args[2] = l.id;
    rc = kd_db_exec(kr, l.v8 ? "kd_login8_seen" : "kd_login7_seen", NULL, 3,
                    args);
    if (rc != KD_NEXT) {
        return rc;
    }
    client = kd_rows_get(l.rows, 0, KD_L_CLIENT);
    if (kd_auth_issue(kr, apr_atoi64(client), l.v8 ? apr_atoi64(l.id) : 0,
                      l.hash, token, sizeof(token))) {
        return kd_internal(kr);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(00504)
                  "login of client %s from %s", client, r->useragent_ip);
    return kd_login_reply(kr, &l, token);
}

int kd_ep_login(kd_req *kr)
{
    int rc = kd_login(kr);

    /* A check still admitted here ended without a verdict (500, 503):
     * not a guess at a password, so it frees its slots uncounted. */
    kd_throttle_settle(kr, 0);
    return rc;
}
