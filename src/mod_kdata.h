/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/**
 * @file mod_kdata.h
 * @brief mod_kdata's private core: the module, its configuration and the
 * per-request context every unit works on.  Nothing here is API.
 *
 * Each unit under src/ has its own header beside it (kd_db.h, kd_auth.h,
 * ...) and includes the headers of what it calls; the pure library in
 * src/lib/ knows nothing of httpd or APR.
 */
#ifndef MOD_KDATA_H
#define MOD_KDATA_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

#include "kd_form.h"
#include "kd_jwt.h"

APLOG_USE_MODULE(kdata);

/*
 * Our own log tags: unique per call site, never reused, so tests and
 * operators can grep for them (AH numbers are httpd's own).  Each unit
 * numbers within its own block:
 *
 *   00001-00019 mod_kdata.c (start-up)   00500-00599 ep_login.c,
 *   00020-00099 kd_cache.c                           kd_throttle.c
 *   00100-00199 kd_reply.c               00600-00699 reads (ep_product.c,
 *   00200-00299 kd_body.c                            ep_invoice.c)
 *   00300-00399 kd_db.c, kd_whmcs.c,     00700-00799 ep_order.c
 *               kd_pool.c
 *   00400-00499 kd_auth.c                00800-00899 ep_credit.c
 *                                        00900-00999 ep_cancel.c
 *                                        01000-01099 ep_session.c
 *                                        01100-01199 kd_idem.c
 *                                        01200-01299 kd_breaker.c
 *                                        01300-01349 kd_outbox.c
 *                                        01350-01399 kd_deliver.c
 *                                        01400-01499 ep_list.c
 *                                        01500-01599 kd_metrics.c
 */
#define KDLOGNO(n) "KD" #n ": "

/* APR's formatter (apr_psprintf, ap_log_*) has no %lld: ids and other
 * 64-bit integers go through this. */
#define KD_I64 "%" APR_INT64_T_FMT

/* A directive not given (configuration structs start with it), and the
 * merge that lets a section's own value win. */
#define KD_UNSET (-1)
#define KD_MERGE(f) (add->f != KD_UNSET ? add->f : base->f)

/* Returned by steps that did not answer: the request goes on.  Any other
 * value means a reply was sent and is the handler's return code. */
#define KD_NEXT (-100)

/* The config options addorder/getproduct name (the seed's keys). */
typedef enum {
    KD_OPT_OS = 0,
    KD_OPT_CPU,
    KD_OPT_RAM,
    KD_OPT_HDD,
    KD_OPT_EXTRAIP,
    KD_OPT_COUNT
} kd_opt;

/* Each option's names, indexed by kd_opt (kd_opts in mod_kdata.c). */
typedef struct {
    const char *field;          /* addorder's field, KdataOption's key */
    const char *json;           /* getproduct's key */
    const char *name;           /* display name unless KdataOption says */
} kd_opt_info;

extern const kd_opt_info kd_opts[KD_OPT_COUNT];

/* What one Apache process learns about one server's WHMCS while it
 * runs (kd_whmcs.c: schema, engines, catalogue).  Written after fork, so
 * each child has its own; a vhost with a pool of its own may be another
 * WHMCS, so each server has its own.  Allocated with the configuration. */
typedef struct kd_whmcs kd_whmcs;

typedef struct {
    const char *secret_file;
    const unsigned char *key;
    apr_size_t keylen;
    kd_jwt_key *mac;            /* key, ready for HMAC (kd_jwt_key_new) */
    kd_whmcs *whmcs;            /* this server's, never merged */
    struct kd_breaker *breaker; /* this server's circuit (kd_breaker.c),
                                 * never merged */
    int ttl;
    int leeway;
    const char *issuer;
    int bcrypt_cost;
    int schema_recheck;         /* seconds kd_whmcs.c trusts its checks */
    const char *opt_name[KD_OPT_COUNT];   /* option display names */
    const char *cache;          /* socache provider[:args] */
    int limit_ip;               /* failed logins per address ... */
    int limit_ip_window;        /* ... per this many seconds */
    int limit_account;          /* failed logins per account ... */
    int limit_account_window;   /* ... per this many seconds */
    /* KdataWhmcsApi: what WHMCS must still do after a write, called
     * through its external API from the outbox (kd_outbox.c queues,
     * kd_deliver.c delivers).  api_url NULL: no outbox at all. */
    const char *api_url;
    const char *api_cred_file;
    const char *api_id;         /* from api_cred_file; the secret is ... */
    const char *api_secret;     /* ... never logged, never in a body */
    int api_own;                /* api_url given in this server's own
                                 * section: its watchdog delivers */
    int api_attempts;           /* calls tried before an event is parked */
    int api_backoff;            /* seconds before the first retry ... */
    int api_backoff_max;        /* ... doubling up to this */
    int api_timeout;            /* seconds one call may take */
    int cluster_hosts;          /* KdataClusterHosts: Apache hosts sharing
                                 * this server's database */
    volatile apr_uint32_t pool_checked; /* kd_pool.c: this process
                                 * checked this server's pool (runtime,
                                 * never merged) */
} kd_srv_conf;

typedef struct {
    const char *mount;          /* the <Location> path routes hang from */
    int mount_set;              /* this section has a SetHandler */
    int max_body;               /* bytes (KdataMaxBody: at most 1 MB) */
    int max_fields;
    int max_field;
    int retry_after;
    int order_limit;            /* orders per client ... */
    int order_window;           /* ... per this many seconds */
} kd_dir_conf;

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
    const char *permission;     /* the route's WHMCS permission, or NULL */
    const kd_srv_conf *sconf;
    const kd_dir_conf *dconf;
    kd_field *fields;
    apr_size_t nfields;
    ap_dbd_t *dbd;              /* NULL until kd_db_acquire */
    int txn;                    /* open (kd_db_begin to kd_db_commit) */
    int txn_cleanup;            /* kd_db's rollback cleanup registered */
    kd_caller caller;
    struct kd_reply_hook *on_reply; /* recorders of the answer (kd_reply.h) */
    struct kd_idem *idem;       /* the Idempotency-Key this holds */
    struct kd_attempt *attempt; /* kd_throttle.c: a password check
                                 * admitted, until its verdict */
    unsigned char idem_fp[32];  /* SHA-256 of the request body */
    struct {                    /* kd_metrics.c: what the answer counts */
        apr_time_t start;       /* the handler's start */
        int route;              /* the router's index ("unknown": count) */
        int why;                /* kd_why: the cause of a 503 or 429 */
        int replayed;           /* a stored answer replayed */
        int counted;            /* the answer was counted */
    } metrics;
} kd_req;

#endif /* MOD_KDATA_H */
