/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file mod_kdata.h
 * @brief mod_kdata's private header: configuration, the per-request
 * context, and the functions that cross files.  Nothing here is API.
 */
#ifndef MOD_KDATA_H
#define MOD_KDATA_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

#include <jansson.h>

#include "kd_form.h"
#include "kd_jwt.h"
#include "kd_money.h"
#include "kd_json.h"

APLOG_USE_MODULE(kdata);

/* Our own log tags: unique per call site, never reused, so tests and
 * operators can grep for them (AH numbers are httpd's own). */
#define KDLOGNO(n) "KD" #n ": "

/* APR's formatter (apr_psprintf, ap_log_*) has no %lld: ids and other
 * 64-bit integers go through this. */
#define KD_I64 "%" APR_INT64_T_FMT

#define KD_UNSET (-1)
#define KD_MERGE(f) (add->f != KD_UNSET ? add->f : base->f)

/* Returned by steps that did not answer: the request goes on.  Any other
 * value means a reply was sent and is the handler's return code. */
#define KD_NEXT (-100)

#define KD_DEFAULT_TTL          86400
#define KD_DEFAULT_LEEWAY       30
#define KD_DEFAULT_ISSUER       "mod_kdata"
#define KD_DEFAULT_BCRYPT_COST  10
#define KD_DEFAULT_SCHEMA_RECHECK 60
#define KD_DEFAULT_MAX_BODY     8192
#define KD_DEFAULT_MAX_FIELDS   32
#define KD_DEFAULT_MAX_FIELD    1024
#define KD_DEFAULT_RETRY_AFTER  5
#define KD_DEFAULT_CACHE        "shmcb"
#define KD_DEFAULT_ORDER_LIMIT  30      /* orders per client ... */
#define KD_DEFAULT_ORDER_WINDOW 3600    /* ... per hour */
#define KD_DEFAULT_LIMIT_IP     30      /* failures per address ... */
#define KD_DEFAULT_LIMIT_IP_WINDOW 900  /* ... per 15 minutes */
#define KD_DEFAULT_LIMIT_ACCOUNT 5      /* failures per account ... */
#define KD_DEFAULT_LIMIT_ACCOUNT_WINDOW 900

/* The config options addorder/getproduct name (the seed's keys). */
typedef enum {
    KD_OPT_OS = 0,
    KD_OPT_CPU,
    KD_OPT_RAM,
    KD_OPT_HDD,
    KD_OPT_EXTRAIP,
    KD_OPT_COUNT
} kd_opt;

/* What one Apache process learns about one server's database while it
 * runs (written after fork, so each child has its own; a vhost with a
 * pool of its own may be another WHMCS, so each server has its own).
 * Allocated with the configuration. */
typedef struct {
    volatile apr_uint32_t schema;           /* kd_schema (kd_db_schema) */
    volatile apr_uint32_t schema_checked;   /* when, in seconds */
    volatile apr_uint32_t schema_no_txn;    /* a written table: no rollback */
    struct kd_catalog *catalog;             /* kd_catalog.c's snapshot */
} kd_runtime;

typedef struct {
    const char *secret_file;
    const unsigned char *key;
    apr_size_t keylen;
    kd_jwt_key *mac;            /* key, ready for HMAC (kd_jwt_key_new) */
    kd_runtime *rt;             /* this server's, never merged */
    int ttl;
    int leeway;
    const char *issuer;
    int bcrypt_cost;
    int schema_recheck;         /* seconds kd_db_schema trusts its check */
    const char *opt_name[KD_OPT_COUNT];   /* option display names */
    const char *cache;          /* socache provider[:args] */
    int limit_ip;               /* failed logins per address ... */
    int limit_ip_window;        /* ... per this many seconds */
    int limit_account;          /* failed logins per account ... */
    int limit_account_window;   /* ... per this many seconds */
} kd_srv_conf;

typedef struct {
    const char *mount;          /* the <Location> path routes hang from */
    int mount_set;              /* this section has a SetHandler */
    apr_off_t max_body;
    int max_fields;
    int max_field;
    int retry_after;
    int order_limit;            /* orders per client ... */
    int order_window;           /* ... per this many seconds */
} kd_dir_conf;

/* Which WHMCS credential layout the database has. */
typedef enum {
    KD_SCHEMA_UNKNOWN = 0,
    KD_SCHEMA_WHMCS7,           /* credentials in tblclients */
    KD_SCHEMA_WHMCS8            /* tblusers + tblusers_clients */
} kd_schema;

/* What the bearer guard learned about the caller. */
typedef struct {
    kd_jwt_claims claims;
    long long client_id;
    long long user_id;          /* tblusers.id, 0 for WHMCS 7 tokens */
    int owner;                  /* acts as the client's owner */
    const char *permissions;    /* tblusers_clients.permissions */
    const char *status;         /* tblclients.status */
    const char *pwhash;         /* the credential's current hash */
} kd_caller;

typedef struct {
    request_rec *r;
    const kd_srv_conf *sconf;
    const kd_dir_conf *dconf;
    kd_field *fields;
    apr_size_t nfields;
    ap_dbd_t *dbd;              /* NULL until kd_db_acquire */
    kd_caller caller;
    const char *idem_key;       /* the Idempotency-Key entry this holds */
    const char *throttle_email; /* a counted login attempt, until refund */
    unsigned char idem_fp[32];  /* SHA-256 of the request body */
} kd_req;

typedef int (*kd_endpoint_fn)(kd_req *kr);

/**** kd_cache.c: state shared by every process (ap_socache) ****/

int kd_cache_pre_config(apr_pool_t *pconf);
/** Find and start the provider named by spec ("shmcb", "memcache:h:p"). */
int kd_cache_post_config(apr_pool_t *pconf, apr_pool_t *ptemp, server_rec *s,
                         const char *spec);
apr_status_t kd_cache_destroy(server_rec *s);
void kd_cache_child_init(apr_pool_t *p, server_rec *s);
/** Hold the cache's global mutex around a read-modify-write; 0 = held. */
int kd_cache_lock(request_rec *r);
void kd_cache_unlock(request_rec *r);
/** 0 found (*len set), 1 not found, -1 error. */
int kd_cache_get(request_rec *r, const char *key, unsigned char *buf,
                 unsigned int *len);
/** 0 stored, -1 error (logged). */
int kd_cache_put(request_rec *r, const char *key, apr_time_t expiry,
                 const void *data, unsigned int len);
void kd_cache_del(request_rec *r, const char *key);
/** FNV-1a of n bytes: spreads keys over this module's local tables. */
apr_uint32_t kd_fnv1a(const void *data, apr_size_t n);
/** Note key in this host's revocation filter (before storing it). */
void kd_cache_filter_set(const char *key);
/** 1 when the filter proves key was never noted; 0: ask the cache. */
int kd_cache_filter_clear(const char *key);

/**** kd_throttle.c: failed-login limits ****/

/**
 * 429 with Retry-After when the address or the account is throttled;
 * otherwise the attempt is counted as a failure until refunded.
 */
int kd_throttle_check(kd_req *kr, const char *email);
/** Give back the count of an attempt that did not fail its credentials. */
void kd_throttle_refund(kd_req *kr);
/** 429 with Retry-After when the caller placed too many orders lately. */
int kd_throttle_order(kd_req *kr);

/**** kd_idem.c: Idempotency-Key ****/

/** Hash the raw body (before decoding) for kd_idem_begin. */
void kd_idem_fingerprint(kd_req *kr, const char *body, apr_size_t len);
/** Take the request's Idempotency-Key, or answer a repeat (replay/409/422). */
int kd_idem_begin(kd_req *kr);
/** Record the answer for the key this request holds (kd_reply_raw). */
void kd_idem_finish(kd_req *kr, int status, const char *text);

/**** kd_reply.c: the single JSON reply and error path ****/

/** Send body (consumed) with status; always JSON, no-store. */
int kd_reply(kd_req *kr, int status, json_t *body);
/** Send JSON text already made (for exact numbers jansson cannot make). */
int kd_reply_raw(kd_req *kr, int status, const char *text);
/** {"result":"error", key: msg} with status. */
int kd_error(kd_req *kr, int status, const char *key, const char *msg);
/** 503 with Retry-After: the database cannot be reached. */
int kd_unavailable(kd_req *kr);
/** 500: something failed that the client cannot fix (already logged). */
int kd_internal(kd_req *kr);


/**** kd_body.c: request bodies ****/

/** Read and decode the body into kr->fields (413/415/400 on failure). */
int kd_body_read(kd_req *kr);
/** A field's value, or NULL when absent. */
const char *kd_arg(const kd_req *kr, const char *key);
/** A required positive integer id field; 400 when absent or malformed. */
int kd_field_id(kd_req *kr, const char *key, long long *out);

/**** kd_db.c: database access through mod_dbd ****/

typedef struct kd_rows kd_rows;

/* A statement the module runs, by label.  Most are registered with
 * ap_dbd_prepare at configuration time; those naming WHMCS 8 tables
 * would make every connection fail on WHMCS 7 (mod_dbd refuses a
 * connection on which any statement fails to prepare), so they are
 * prepared on first use, once per connection. */
typedef struct {
    const char *label;
    const char *sql;
    int whmcs8_only;
} kd_stmt;

/* Each family's statements, NULL-terminated. */
extern const kd_stmt kd_stmts_db[];
extern const kd_stmt kd_stmts_auth[];
extern const kd_stmt kd_stmts_login[];
extern const kd_stmt kd_stmts_product[];
extern const kd_stmt kd_stmts_billing[];
extern const kd_stmt kd_stmts_order[];
extern const kd_stmt kd_stmts_credit[];
extern const kd_stmt kd_stmts_invoice[];
extern const kd_stmt kd_stmts_cancel[];
extern const kd_stmt kd_stmts_catalog[];

/** Register our statements with mod_dbd (configuration time). */
void kd_db_prepare_all(server_rec *s);
/** Acquire the request's pooled connection; 503 when there is none. */
int kd_db_acquire(kd_req *kr);
/** Which credential layout the database has (cached per process, with
 * whether the tables writes touch are all transactional);
 * KD_SCHEMA_UNKNOWN means it could not be read and a reply was sent. */
kd_schema kd_db_schema(kd_req *kr);
/**
 * Run a SELECT by label with nargs string arguments; all rows are read
 * (and the result drained) before this returns.  *rows is NULL-safe.
 * @return KD_NEXT, or a reply (503/500) already sent.
 */
int kd_db_select(kd_req *kr, const char *label, kd_rows **rows,
                 int nargs, const char **args);
/**
 * kd_db_select for a statement whose first ncommon columns hold the
 * same values in every row (the caller and the parent object, joined
 * one to one ahead of the rows they own): those are read from the first
 * row only and every row shares them.
 */
int kd_db_select_common(kd_req *kr, const char *label, kd_rows **rows,
                        int nargs, const char **args, int ncommon);
/** Run an INSERT/UPDATE/DELETE by label; *affected may be NULL. */
int kd_db_exec(kd_req *kr, const char *label, int *affected,
               int nargs, const char **args);
/** Begin a transaction, rolled back by a cleanup unless committed;
 * 503 when a table it would write cannot roll back (kd_db_schema). */
int kd_db_begin(kd_req *kr);
/** Commit the open transaction. */
int kd_db_commit(kd_req *kr);
/** The id the last INSERT on this connection created. */
int kd_db_insert_id(kd_req *kr, long long *id);

int kd_rows_count(const kd_rows *rows);
/** Column value (NULL for SQL NULL) of row i (0-based). */
const char *kd_rows_get(const kd_rows *rows, int i, int col);
/** Move row i to the front, keeping the others' order. */
void kd_rows_move_first(kd_rows *rows, int i);
/** Keep only the first n rows. */
void kd_rows_truncate(kd_rows *rows, int n);

/* A text column read at a bounded width.  The MySQL driver of apr_dbd
 * gives every result column a buffer as wide as the column can be (up
 * to DBDParams fldsz, 1 MB by default): a TEXT column read through a
 * utf8mb4 connection costs 256 KB per column per query.  Reading it as
 * CHAR(n) sizes the buffer for the values WHMCS really keeps there. */
#define KD_TXT(col, n) "CAST(" col " AS CHAR(" #n "))"

/* A DATE or DATETIME column read as text.  Sent in binary, each one
 * costs a formatted print in libmariadb, twice (apr_dbd_mysql fetches
 * the row, then each column again); as text it is a copy. */
#define KD_DATE(col) KD_TXT(col, 19)

/**** kd_auth.c: the bearer guard ****/

/* The caller's columns, first in every statement that checks the caller
 * in the same round trip as it reads: status, the credential's password
 * hash, and (WHMCS 8) the user's link to the client.  The _FROM8 joins
 * take the user id as their one argument; both end with the client as
 * "c", whose id the statement's WHERE names. */
#define KD_CALLER_NCOLS 4
#define KD_CALLER_COLS7 "c.status, " KD_TXT("c.password", 255) ", 1, NULL"
#define KD_CALLER_FROM7 "tblclients c"
#define KD_CALLER_COLS8 \
    "c.status, u.password, uc.owner, " KD_TXT("uc.permissions", 1024)
#define KD_CALLER_FROM8 \
    "tblclients c LEFT JOIN tblusers_clients uc ON uc.client_id = c.id " \
    "AND uc.auth_user_id = %d LEFT JOIN tblusers u ON u.id = uc.auth_user_id"


/**** kd_catalog.c: options and gateways, for reads ****/

typedef struct kd_catalog kd_catalog;
typedef struct {
    long long id;
    long long order;
    const char *name;           /* tblproductconfigoptions.optionname */
    const char *type;           /* optiontype: "1".."4" */
} kd_copt;
typedef struct {
    long long configid;         /* the option it belongs to */
    const char *name;
} kd_csub;

void kd_catalog_child_init(apr_pool_t *p);
/**
 * This process's snapshot, held until r->pool is cleared.  stale: the
 * caller missed an id in the snapshot it had; reload unless that one is
 * under a second old.  KD_NEXT, or a reply (503/500) already sent.
 */
int kd_catalog_get(kd_req *kr, int stale, kd_catalog **out);
/** By id (decimal text); NULL when the snapshot has none. */
const kd_copt *kd_catalog_option(const kd_catalog *c, const char *id);
const kd_csub *kd_catalog_sub(const kd_catalog *c, const char *id);
/** A payment gateway's "type" setting ("CC", ...); NULL when unknown. */
const char *kd_catalog_gateway_type(const kd_catalog *c, const char *name);

/**** kd_verified.c: tokens this process has verified ****/

void kd_verified_child_init(apr_pool_t *p);
/** 1 and *claims filled when tok was verified under sconf before. */
int kd_verified_get(const kd_srv_conf *sconf, const char *tok,
                    apr_size_t len, kd_jwt_claims *claims);
/** Remember tok, verified under sconf, with its claims. */
void kd_verified_put(const kd_srv_conf *sconf, const char *tok,
                     apr_size_t len, const kd_jwt_claims *claims);
/* kd_auth_fingerprint's output: 22 characters and a NUL. */
#define KD_VERIFIED_FPLEN 23
/** 1 and fp filled when hash's fingerprint under sconf is known. */
int kd_verified_fp_get(const kd_srv_conf *sconf, const char *hash,
                       char *fp);
void kd_verified_fp_put(const kd_srv_conf *sconf, const char *hash,
                        const char *fp);

/** Verify the bearer token (no database); 401 on failure. */
int kd_auth_token(kd_req *kr);
/** Load the caller's client (and user link); 401 when gone. */
int kd_auth_client(kd_req *kr);
/**
 * Which caller columns to use: 1 for KD_CALLER_*8 (a WHMCS 8 user), 0
 * for KD_CALLER_*7, -1 when the database could not be read (replied).
 */
int kd_auth_v8(kd_req *kr);
/**
 * Check the caller from the KD_CALLER_NCOLS columns from col on, in row
 * 0 of a statement built with KD_CALLER_*; 401 when the client is gone
 * (no row), the user's link is, or the password changed.
 */
int kd_auth_from_rows(kd_req *kr, const kd_rows *rows, int col);
/** 1 when the caller may use the named WHMCS permission. */
int kd_auth_allowed(const kd_req *kr, const char *permission);
/** The pwf claim for a password hash (out: 32 bytes). */
void kd_auth_fingerprint(const kd_req *kr, const char *hash, char *out);
/** Sign a fresh token for client (and WHMCS 8 user); 0 or -1. */
int kd_auth_issue(kd_req *kr, long long client, long long user,
                  const char *hash, char *out, apr_size_t outsz);
/**
 * Revoke the caller's token until it expires: 0 revoked now, 1 it
 * already was, -1 the cache failed.
 */
int kd_auth_revoke(kd_req *kr);

/**** kd_billing.c: WHMCS's settings, invoices and payment effects ****/

/** A money column as kd_cents; NULL or malformed text reads as 0. */
kd_cents kd_cents_of(const char *v);
/** kd_cents as a pool string "1234.50". */
const char *kd_cents_str(apr_pool_t *p, kd_cents v);
/** A 64-bit id as a pool string. */
const char *kd_id(apr_pool_t *p, long long v);
/** A tax rate column as WHMCS's API shows it: "10.00", or "10.125". */
const char *kd_rate_text(apr_pool_t *p, const char *v);


/* The tblconfiguration settings the writes depend on. */
typedef struct {
    const char *date_format;        /* DateFormat */
    int tax_enabled;                /* TaxEnabled */
    int tax_inclusive;              /* TaxType = Inclusive */
    int tax_l2_compound;            /* TaxL2Compound */
    int auto_apply_credit;          /* NoAutoApplyCredit is off */
    int sequential;                 /* SequentialInvoiceNumbering */
    const char *sequential_format;  /* SequentialInvoiceNumberFormat */
    int cancel_invoice;             /* CancelInvoiceOnCancellation */
} kd_settings;

/* An invoice row as the billing code needs it. */
typedef struct {
    long long id;
    long long userid;
    const char *invoicenum;
    const char *status;
    kd_cents subtotal, credit, tax, tax2, total;
    long long taxrate, taxrate2;    /* thousandths of a percent */
    kd_cents payments;              /* sum of tblaccounts in - out */
} kd_invoice;

/** Read the settings (one query). */
int kd_settings_load(kd_req *kr, kd_settings *s);
/** "YYYY-MM-DD HH:MM:SS" local time of the request. */
const char *kd_now(kd_req *kr);
/** The local calendar date of the request. */
kd_date kd_today(kd_req *kr);
/** Write a tblactivitylog line for the caller, in WHMCS's wording. */
int kd_activity(kd_req *kr, const char *description);
/**
 * Apply amount of the caller's credit to inv (both rows locked by the
 * caller): invoice credit and total, client credit, a tblcredit line,
 * the activity log, and, once nothing is left to pay, what WHMCS does
 * on payment.  *paid tells whether the invoice is now Paid.
 */
int kd_invoice_apply_credit(kd_req *kr, const kd_settings *s,
                            kd_invoice *inv, kd_cents amount, int *paid);
/**
 * Mark inv Paid as WHMCS does: datepaid, a sequential number when the
 * installation uses them, and each Hosting item's service due dates
 * moved one billing cycle on.
 */
int kd_invoice_mark_paid(kd_req *kr, const kd_settings *s,
                         kd_invoice *inv);
/**
 * Recompute an invoice's totals from its items (updateInvoiceTotal),
 * after items were removed; inv must be locked.
 */
int kd_invoice_recalc(kd_req *kr, const kd_settings *s, kd_invoice *inv);

/**** endpoints (one file per family) ****/

/* ep_login.c */
int kd_ep_login(kd_req *kr);
/* ep_product.c */
int kd_ep_getproduct(kd_req *kr);
/* ep_order.c */
int kd_ep_addorder(kd_req *kr);
/* ep_credit.c */
int kd_ep_applycredit(kd_req *kr);
/* ep_invoice.c */
int kd_ep_getinvoice(kd_req *kr);
int kd_ep_getinvoiceproduct(kd_req *kr);
/* ep_cancel.c */
int kd_ep_cancelrequest(kd_req *kr);
/* ep_session.c */
int kd_ep_logout(kd_req *kr);
int kd_ep_refresh(kd_req *kr);

/**** helpers shared by endpoints ****/

/** The part of a WHMCS name after '|' (trimmed), or the name. */
const char *kd_display_name(apr_pool_t *p, const char *name);

#endif /* MOD_KDATA_H */
