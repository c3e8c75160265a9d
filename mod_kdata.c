/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * mod_kdata: the Kdata customer API (login, orders, services, invoices,
 * credit, cancellations) answered inside Apache from a WHMCS database.
 *
 * This file holds the module record, the directives, the configuration
 * create/merge functions, the hooks and the router.  Everything a route
 * does lives under src/: kd_reply.c (the one JSON reply path),
 * kd_body.c (request bodies), kd_db.c (mod_dbd access), kd_auth.c (the
 * bearer guard), one ep_<family>.c per endpoint family, and the pure
 * library in src/lib/ (tokens, passwords, forms, money, JSON values;
 * unit tested and fuzzed alone).
 */

#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_fnmatch.h"
#include "apr_uri.h"
#include "apr_lib.h"
#include "http_request.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_breaker.h"
#include "kd_cache.h"
#include "kd_db.h"
#include "kd_deliver.h"
#include "kd_idem.h"
#include "kd_jwt.h"
#include "kd_metrics.h"
#include "kd_outbox.h"
#include "kd_pool.h"
#include "kd_reply.h"
#include "kd_throttle.h"
#include "kd_verified.h"
#include "kd_whmcs.h"

/**** configuration ****/

/* Each directive's default, applied once after merging. */
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
#define KD_DEFAULT_API_ATTEMPTS 10      /* calls before parking ... */
#define KD_DEFAULT_API_BACKOFF  30      /* ... 30 s, 60 s, 120 s ... */
#define KD_DEFAULT_API_BACKOFF_MAX 3600 /* ... at most an hour apart */
#define KD_DEFAULT_API_TIMEOUT  10
#define KD_DEFAULT_CLUSTER_HOSTS 1

/* The seed's field and response keys; the default display names are
 * those of the seed's own invoice lines. */
const kd_opt_info kd_opts[KD_OPT_COUNT] = {
    {"os", "os", "Server OS"},
    {"cpu", "cpu", "CPU"},
    {"ram", "ram", "RAM"},
    {"hdd", "hdd", "HDD"},
    {"extraIp", "Extra ip", "Extra IP"}
};

static void *kd_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    kd_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* secret_file, key, keylen, mac, issuer, opt_name and cache are
     * unset as apr_pcalloc leaves them (NULL, 0); so are api_url,
     * api_cred_file, api_id and api_secret (no KdataWhmcsApi), and
     * pool_checked (kd_pool.c: not checked yet in this process). */
    conf->whmcs = kd_whmcs_make(p);
    conf->breaker = kd_breaker_make(p);
    conf->ttl = KD_UNSET;
    conf->leeway = KD_UNSET;
    conf->bcrypt_cost = KD_UNSET;
    conf->schema_recheck = KD_UNSET;
    conf->limit_ip = KD_UNSET;
    conf->limit_ip_window = KD_UNSET;
    conf->limit_account = KD_UNSET;
    conf->limit_account_window = KD_UNSET;
    conf->api_own = 0;
    conf->api_attempts = KD_UNSET;
    conf->api_backoff = KD_UNSET;
    conf->api_backoff_max = KD_UNSET;
    conf->api_timeout = KD_UNSET;
    conf->cluster_hosts = KD_UNSET;
    return conf;
}

static void *kd_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    const kd_srv_conf *base = basev, *add = addv;
    kd_srv_conf *conf = apr_pcalloc(p, sizeof(*conf));
    int i;

    conf->whmcs = kd_whmcs_make(p);
    conf->breaker = kd_breaker_make(p);
    conf->pool_checked = 0;     /* runtime state of this server's own */
    if (add->key) {
        conf->secret_file = add->secret_file;
        conf->key = add->key;
        conf->keylen = add->keylen;
        conf->mac = add->mac;
    }
    else {
        conf->secret_file = base->secret_file;
        conf->key = base->key;
        conf->keylen = base->keylen;
        conf->mac = base->mac;
    }
    conf->ttl = KD_MERGE(ttl);
    conf->leeway = KD_MERGE(leeway);
    conf->bcrypt_cost = KD_MERGE(bcrypt_cost);
    conf->schema_recheck = KD_MERGE(schema_recheck);
    conf->issuer = add->issuer ? add->issuer : base->issuer;
    conf->cache = add->cache ? add->cache : base->cache;
    conf->limit_ip = KD_MERGE(limit_ip);
    conf->limit_ip_window = KD_MERGE(limit_ip_window);
    conf->limit_account = KD_MERGE(limit_account);
    conf->limit_account_window = KD_MERGE(limit_account_window);
    for (i = 0; i < KD_OPT_COUNT; i++) {
        conf->opt_name[i] = add->opt_name[i] ? add->opt_name[i]
                                             : base->opt_name[i];
    }
    /* KdataWhmcsApi and its credentials each as a whole: a section's
     * own, else the base's. */
    conf->api_own = add->api_url != NULL;
    conf->api_url = add->api_url ? add->api_url : base->api_url;
    if (add->api_id) {
        conf->api_cred_file = add->api_cred_file;
        conf->api_id = add->api_id;
        conf->api_secret = add->api_secret;
    }
    else {
        conf->api_cred_file = base->api_cred_file;
        conf->api_id = base->api_id;
        conf->api_secret = base->api_secret;
    }
    conf->api_attempts = KD_MERGE(api_attempts);
    conf->api_backoff = KD_MERGE(api_backoff);
    conf->api_backoff_max = KD_MERGE(api_backoff_max);
    conf->api_timeout = KD_MERGE(api_timeout);
    conf->cluster_hosts = KD_MERGE(cluster_hosts);
    return conf;
}

static void *kd_create_dir_conf(apr_pool_t *p, char *dir)
{
    kd_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* mount stays NULL until this section's SetHandler (kd_set_handler). */
    conf->mount_set = 0;
    conf->max_body = KD_UNSET;
    conf->max_fields = KD_UNSET;
    conf->max_field = KD_UNSET;
    conf->retry_after = KD_UNSET;
    conf->order_limit = KD_UNSET;
    conf->order_window = KD_UNSET;
    return conf;
}

static void *kd_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const kd_dir_conf *base = basev, *add = addv;
    kd_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    /* As core merges SetHandler: the last section merged that has one
     * decides, whether or not it also has a Kdata directive. */
    if (add->mount_set) {
        conf->mount_set = 1;
        conf->mount = add->mount;
    }
    else {
        conf->mount_set = base->mount_set;
        conf->mount = base->mount;
    }
    conf->max_body = KD_MERGE(max_body);
    conf->max_fields = KD_MERGE(max_fields);
    conf->max_field = KD_MERGE(max_field);
    conf->retry_after = KD_MERGE(retry_after);
    conf->order_limit = KD_MERGE(order_limit);
    conf->order_window = KD_MERGE(order_window);
    return conf;
}

/* Defaults are applied once, after merging, so the request path reads
 * plain values. */
static void kd_dir_defaults(kd_dir_conf *c)
{
    if (c->max_body == KD_UNSET) {
        c->max_body = KD_DEFAULT_MAX_BODY;
    }
    if (c->max_fields == KD_UNSET) {
        c->max_fields = KD_DEFAULT_MAX_FIELDS;
    }
    if (c->max_field == KD_UNSET) {
        c->max_field = KD_DEFAULT_MAX_FIELD;
    }
    if (c->retry_after == KD_UNSET) {
        c->retry_after = KD_DEFAULT_RETRY_AFTER;
    }
    if (c->order_limit == KD_UNSET) {
        c->order_limit = KD_DEFAULT_ORDER_LIMIT;
        c->order_window = KD_DEFAULT_ORDER_WINDOW;
    }
}

static void kd_srv_defaults(kd_srv_conf *c)
{
    int i;

    if (c->ttl == KD_UNSET) {
        c->ttl = KD_DEFAULT_TTL;
    }
    if (c->leeway == KD_UNSET) {
        c->leeway = KD_DEFAULT_LEEWAY;
    }
    if (c->bcrypt_cost == KD_UNSET) {
        c->bcrypt_cost = KD_DEFAULT_BCRYPT_COST;
    }
    if (c->schema_recheck == KD_UNSET) {
        c->schema_recheck = KD_DEFAULT_SCHEMA_RECHECK;
    }
    if (!c->issuer) {
        c->issuer = KD_DEFAULT_ISSUER;
    }
    if (!c->cache) {
        c->cache = KD_DEFAULT_CACHE;
    }
    if (c->limit_ip == KD_UNSET) {
        c->limit_ip = KD_DEFAULT_LIMIT_IP;
        c->limit_ip_window = KD_DEFAULT_LIMIT_IP_WINDOW;
    }
    if (c->limit_account == KD_UNSET) {
        c->limit_account = KD_DEFAULT_LIMIT_ACCOUNT;
        c->limit_account_window = KD_DEFAULT_LIMIT_ACCOUNT_WINDOW;
    }
    for (i = 0; i < KD_OPT_COUNT; i++) {
        if (!c->opt_name[i]) {
            c->opt_name[i] = kd_opts[i].name;
        }
    }
    if (c->api_attempts == KD_UNSET) {
        c->api_attempts = KD_DEFAULT_API_ATTEMPTS;
    }
    if (c->api_backoff == KD_UNSET) {
        c->api_backoff = KD_DEFAULT_API_BACKOFF;
        c->api_backoff_max = KD_DEFAULT_API_BACKOFF_MAX;
    }
    if (c->api_timeout == KD_UNSET) {
        c->api_timeout = KD_DEFAULT_API_TIMEOUT;
    }
    if (c->cluster_hosts == KD_UNSET) {
        c->cluster_hosts = KD_DEFAULT_CLUSTER_HOSTS;
    }
}

/**** directives ****/

static const char *kd_parse_int(cmd_parms *cmd, const char *arg, int min,
                                int max, int *out)
{
    char *end;
    apr_int64_t v;

    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || *end || end == arg || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number "
                            "from %d to %d", cmd->cmd->name, arg, min, max);
    }
    *out = (int)v;
    return NULL;
}

/* An integer directive: which config holds it, where, and the range it
 * takes.  A limit ("N per SECONDS") has a second number, its window.
 * Each is written in kd_cmds, in its directive's entry (KD_SRV, ...). */
typedef enum {
    KD_IN_SRV,                  /* kd_srv_conf: per server */
    KD_IN_DIR                   /* kd_dir_conf: per server or section */
} kd_conf_kind;

typedef struct {
    kd_conf_kind in;
    apr_size_t off;             /* an int field of that struct */
    int min, max;
    apr_size_t win_off;         /* limits: the window's field ... */
    int win_min, win_max;       /* ... and its range */
} kd_int_spec;

#define KD_INT_SPEC(in, conf, f, lo, hi, w, wlo, whi) \
    (&(kd_int_spec){in, APR_OFFSETOF(conf, f), lo, hi, w, wlo, whi})
#define KD_SRV(f, lo, hi) \
    KD_INT_SPEC(KD_IN_SRV, kd_srv_conf, f, lo, hi, 0, 0, 0)
#define KD_DIR(f, lo, hi) \
    KD_INT_SPEC(KD_IN_DIR, kd_dir_conf, f, lo, hi, 0, 0, 0)
#define KD_SRV_LIMIT(f, lo, hi, w, wlo, whi) \
    KD_INT_SPEC(KD_IN_SRV, kd_srv_conf, f, lo, hi, \
                APR_OFFSETOF(kd_srv_conf, w), wlo, whi)
#define KD_DIR_LIMIT(f, lo, hi, w, wlo, whi) \
    KD_INT_SPEC(KD_IN_DIR, kd_dir_conf, f, lo, hi, \
                APR_OFFSETOF(kd_dir_conf, w), wlo, whi)

/* The int at off in the config the directive's kind names. */
static int *kd_int_field(cmd_parms *cmd, void *dconf,
                         const kd_int_spec *spec, apr_size_t off)
{
    char *conf = dconf;

    if (spec->in == KD_IN_SRV) {
        conf = ap_get_module_config(cmd->server->module_config,
                                    &kdata_module);
    }
    return (int *)(conf + off);
}

/* Nothing is stored unless every number is in its range. */
static const char *kd_set_int(cmd_parms *cmd, void *dconf, const char *arg)
{
    const kd_int_spec *spec = cmd->info;
    const char *err;
    int v;

    if ((err = kd_parse_int(cmd, arg, spec->min, spec->max, &v))) {
        return err;
    }
    *kd_int_field(cmd, dconf, spec, spec->off) = v;
    return NULL;
}

static const char *kd_set_limit(cmd_parms *cmd, void *dconf,
                                const char *n, const char *window)
{
    const kd_int_spec *spec = cmd->info;
    const char *err;
    int lim, win;

    if ((err = kd_parse_int(cmd, n, spec->min, spec->max, &lim))
        || (err = kd_parse_int(cmd, window, spec->win_min, spec->win_max,
                               &win))) {
        return err;
    }
    *kd_int_field(cmd, dconf, spec, spec->off) = lim;
    *kd_int_field(cmd, dconf, spec, spec->win_off) = win;
    return NULL;
}

static apr_status_t kd_free_mac(void *mac)
{
    kd_jwt_key_free(mac);
    return APR_SUCCESS;
}

/* A small file of secrets, read while httpd still runs as root, so it
 * can be readable by root alone; with private set, a file others may
 * read is refused.  A trailing newline (as editors and echo leave) is
 * dropped.  Its contents are never logged. */
static const char *kd_read_secret(cmd_parms *cmd, const char *arg,
                                  int private, const char **pathp,
                                  char **out, apr_size_t *lenp)
{
    const char *name = cmd->cmd->name;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    apr_size_t len;
    char *buf;

    if (!path) {
        return apr_pstrcat(cmd->pool, name, ": invalid path ", arg, NULL);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ, 0, cmd->temp_pool);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot open %s: %pm", name,
                            path, &rv);
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE
                                | APR_FINFO_PROT, f);
    if (rv != APR_SUCCESS || fi.filetype != APR_REG || fi.size > 4096) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: %s must be a regular file of "
                            "at most 4096 bytes", name, path);
    }
    if (private && (fi.protection & APR_FPROT_WREAD)) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: %s is readable by every user; "
                            "chmod o-rwx %s", name, path, path);
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(cmd->pool, len + 1);
    rv = apr_file_read_full(f, buf, len, &len);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s: %pm", name,
                            path, &rv);
    }
    if (len && buf[len - 1] == '\n') {
        len--;
        if (len && buf[len - 1] == '\r') {
            len--;
        }
    }
    buf[len] = '\0';
    *pathp = path;
    *out = buf;
    *lenp = len;
    return NULL;
}

static const char *kd_set_secret_file(cmd_parms *cmd, void *dummy,
                                      const char *arg)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);
    const char *path, *err;
    apr_size_t len;
    char *buf;

    if ((err = kd_read_secret(cmd, arg, 0, &path, &buf, &len))) {
        return err;
    }
    if (len < KD_JWT_MIN_KEY) {
        return apr_psprintf(cmd->pool, "KdataTokenSecretFile: the key in %s "
                            "is %" APR_SIZE_T_FMT " bytes; HS256 needs at "
                            "least %d (e.g. openssl rand -base64 48 > %s)",
                            path, len, KD_JWT_MIN_KEY, path);
    }
    conf->secret_file = path;
    conf->key = (const unsigned char *)buf;
    conf->keylen = len;
    /* Fetched and keyed once, here; each token then costs a copy. */
    if (!(conf->mac = kd_jwt_key_new(conf->key, len))) {
        return "KdataTokenSecretFile: OpenSSL cannot key HMAC-SHA256";
    }
    apr_pool_cleanup_register(cmd->pool, conf->mac, kd_free_mac,
                              apr_pool_cleanup_null);
    return NULL;
}

/* WHMCS's api.php, by http or https, with a host. */
static const char *kd_set_api_url(cmd_parms *cmd, void *dummy,
                                  const char *arg)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);
    apr_uri_t u;

    if (apr_uri_parse(cmd->temp_pool, arg, &u) != APR_SUCCESS
        || !u.scheme || (strcasecmp(u.scheme, "https")
                         && strcasecmp(u.scheme, "http"))
        || !u.hostname || !*u.hostname || u.user || u.password
        || u.fragment) {
        return apr_pstrcat(cmd->pool, "KdataWhmcsApi: '", arg, "' is not "
                           "an http(s) URL of WHMCS's API, e.g. https://"
                           "billing.example.com/includes/api.php", NULL);
    }
    conf->api_url = arg;
    conf->api_own = 1;
    return NULL;
}

/* One printable word, no spaces: how WHMCS makes identifiers and
 * secrets (and nothing that would need quoting in a form). */
static int kd_api_word(const char *s)
{
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (!apr_isgraph(*s)) {
            return 0;
        }
    }
    return 1;
}

/* The API credential WHMCS made (Manage API Credentials): identifier on
 * the first line, secret on the second; never in httpd.conf. */
static const char *kd_set_api_credentials(cmd_parms *cmd, void *dummy,
                                          const char *arg)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);
    const char *path, *err;
    apr_size_t len;
    char *buf, *nl, *secret;

    if ((err = kd_read_secret(cmd, arg, 1, &path, &buf, &len))) {
        return err;
    }
    nl = strchr(buf, '\n');
    secret = nl ? nl + 1 : NULL;
    if (nl) {
        *nl = '\0';
        if (nl > buf && nl[-1] == '\r') {
            nl[-1] = '\0';
        }
    }
    if (!secret || strchr(secret, '\n') || !kd_api_word(buf)
        || !kd_api_word(secret)) {
        return apr_psprintf(cmd->pool, "KdataWhmcsApiCredentials: %s must "
                            "hold two lines, the API credential's "
                            "identifier then its secret, each one word",
                            path);
    }
    conf->api_cred_file = path;
    conf->api_id = buf;
    conf->api_secret = secret;
    return NULL;
}

static const char *kd_set_issuer(cmd_parms *cmd, void *dummy,
                                 const char *arg)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);

    if (!*arg || strlen(arg) >= KD_JWT_MAX_STR) {
        return "KdataTokenIssuer: must be 1 to 127 characters";
    }
    conf->issuer = arg;
    return NULL;
}

static const char *kd_set_option(cmd_parms *cmd, void *dummy,
                                 const char *key, const char *name)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);
    const char *known = "";
    int i;

    for (i = 0; i < KD_OPT_COUNT; i++) {
        if (!strcmp(key, kd_opts[i].field)) {
            if (!*name) {
                return "KdataOption: the display name cannot be empty";
            }
            conf->opt_name[i] = name;
            return NULL;
        }
        known = apr_pstrcat(cmd->temp_pool, known, i ? ", " : "",
                            kd_opts[i].field, NULL);
    }
    return apr_psprintf(cmd->pool, "KdataOption: unknown field '%s' (one of "
                        "%s)", key, known);
}

static const char *kd_set_cache(cmd_parms *cmd, void *dummy,
                                const char *arg)
{
    kd_srv_conf *conf = ap_get_module_config(cmd->server->module_config,
                                             &kdata_module);
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    /* One cache for the whole server: the state it holds (throttles,
     * revoked tokens) must not depend on which virtual host answered. */
    if (err) {
        return err;
    }
    conf->cache = arg;
    return NULL;
}

/* Each integer directive's field and range stand in its entry
 * (kd_int_spec: KD_SRV, KD_DIR, KD_SRV_LIMIT, KD_DIR_LIMIT). */

/* Sections that narrow a request's conditions but not its URL space:
 * SetHandler inside them mounts at the section around them. */
static int kd_transparent_section(const char *name)
{
    return !strcasecmp(name, "<If") || !strcasecmp(name, "<ElseIf")
           || !strcasecmp(name, "<Else") || !strcasecmp(name, "<Limit")
           || !strcasecmp(name, "<LimitExcept");
}

/*
 * SetHandler, seen by mod_kdata too: the routes hang below the section
 * that holds SetHandler kdata, and httpd cannot tell afterwards which
 * section that was.  Core's merged per-dir config keeps the path of the
 * last section merged, which may be a later <Location "/kdata/api"> that
 * only sets a limit, and our own per-dir config exists only in sections
 * where one of our directives appears.  httpd hands a directive to every
 * module that declares it (ap_walk_config_sub goes on after a module
 * returns NULL), so core's SetHandler still runs; this one notes the
 * section's path, and kd_merge_dir_conf merges it as core merges the
 * handler: the last section merged that has a SetHandler wins.
 *
 * Mounted: a <Location> with a plain path ("/", "/kdata", "/kdata/"),
 * the server or a <VirtualHost> itself (the whole URL space), and <If>
 * or <Limit> inside either.  Refused, with the section named: regex and
 * wildcard Locations, whose path is not a prefix the routes could hang
 * below, and <Directory>, <Files>, <Proxy> and .htaccess files, which
 * have no URL path at all.  Other handlers are only noted, never
 * refused: when the handler in force is not kdata, the mount is unused.
 */
static const char *kd_set_handler(cmd_parms *cmd, void *confv,
                                  const char *arg)
{
    kd_dir_conf *conf = confv;
    const ap_directive_t *sec = cmd->directive->parent;
    const char *args, *end, *path;

    while (sec && kd_transparent_section(sec->directive)) {
        sec = sec->parent;
    }
    conf->mount_set = 1;
    conf->mount = NULL;
    /* No section around it: the server itself, or an .htaccess file
     * (whose directives come with no parent either). */
    if (sec ? !strcasecmp(sec->directive, "<VirtualHost")
            : ap_check_cmd_context(cmd, NOT_IN_HTACCESS) == NULL) {
        conf->mount = "/";
        return NULL;
    }
    if (sec && !strcasecmp(sec->directive, "<Location")) {
        /* The path as core's urlsection reads it from the same text. */
        end = ap_strrchr_c(sec->args, '>');
        args = end ? apr_pstrmemdup(cmd->temp_pool, sec->args,
                                    (apr_size_t)(end - sec->args))
                   : sec->args;
        path = ap_getword_conf(cmd->pool, &args);
        if (*path == '/' && !apr_fnmatch_test(path)) {
            conf->mount = path;
            return NULL;
        }
    }
    if (strcasecmp(arg, "kdata")) {
        return NULL;
    }
    return apr_pstrcat(cmd->pool, KDLOGNO(00003) "SetHandler kdata ",
                       sec ? apr_pstrcat(cmd->temp_pool, "in ",
                                         sec->directive, " ", sec->args,
                                         NULL)
                           : "in an .htaccess file",
                       ": the API's routes (login, api/v1/...) hang below "
                       "the path of the <Location> that holds it, so it "
                       "must be a <Location> with a plain path (no regex, "
                       "no wildcard), e.g. <Location \"/kdata\">, one per "
                       "path, or the server or <VirtualHost> itself",
                       NULL);
}

static const command_rec kd_cmds[] = {
    /* Core's own directive, with core's scope; see kd_set_handler. */
    AP_INIT_TAKE1("SetHandler", kd_set_handler, NULL, OR_FILEINFO,
                  "Also notes where mod_kdata's routes hang from"),
    AP_INIT_TAKE1("KdataTokenSecretFile", kd_set_secret_file, NULL,
                  RSRC_CONF, "File holding the HS256 key (>= 32 bytes)"),
    AP_INIT_TAKE1("KdataTokenTTL", kd_set_int,
                  KD_SRV(ttl, 60, 366 * 86400), RSRC_CONF,
                  "Token lifetime in seconds (default 86400)"),
    AP_INIT_TAKE1("KdataTokenLeeway", kd_set_int,
                  KD_SRV(leeway, 0, 300), RSRC_CONF,
                  "Clock skew allowed on exp/nbf/iat, seconds (default 30)"),
    AP_INIT_TAKE1("KdataTokenIssuer", kd_set_issuer, NULL, RSRC_CONF,
                  "The iss claim issued and required (default mod_kdata)"),
    AP_INIT_TAKE1("KdataBcryptCost", kd_set_int,
                  KD_SRV(bcrypt_cost, 4, 31), RSRC_CONF,
                  "bcrypt cost for rehashed legacy passwords (default 10)"),
    AP_INIT_TAKE1("KdataSchemaRecheck", kd_set_int,
                  KD_SRV(schema_recheck, 1, 3600), RSRC_CONF,
                  "Seconds a schema and storage engine check is trusted "
                  "(default 60)"),
    AP_INIT_TAKE2("KdataOption", kd_set_option, NULL, RSRC_CONF,
                  "Field (os|cpu|ram|hdd|extraIp) and the display name of "
                  "the configurable option it chooses"),
    AP_INIT_TAKE1("KdataCache", kd_set_cache, NULL, RSRC_CONF,
                  "socache provider[:arguments] for throttles, revoked "
                  "tokens and idempotency keys (default shmcb)"),
    AP_INIT_TAKE2("KdataLoginLimitIP", kd_set_limit,
                  KD_SRV_LIMIT(limit_ip, 0, 100000, limit_ip_window, 1,
                               86400), RSRC_CONF,
                  "Failed logins allowed per client address, and the "
                  "window in seconds (default 30 900; 0 turns it off)"),
    AP_INIT_TAKE2("KdataLoginLimitAccount", kd_set_limit,
                  KD_SRV_LIMIT(limit_account, 0, 100000,
                               limit_account_window, 1, 86400), RSRC_CONF,
                  "Failed logins allowed per account, and the window in "
                  "seconds (default 5 900; 0 turns it off)"),
    AP_INIT_TAKE2("KdataOrderLimit", kd_set_limit,
                  KD_DIR_LIMIT(order_limit, 0, 100000, order_window, 1,
                               86400), RSRC_CONF | ACCESS_CONF,
                  "Orders one client may place, and the window in seconds "
                  "(default 30 3600; 0 turns it off)"),
    AP_INIT_TAKE1("KdataMaxBody", kd_set_int,
                  KD_DIR(max_body, 64, 1048576), RSRC_CONF | ACCESS_CONF,
                  "Largest request body in bytes (default 8192)"),
    AP_INIT_TAKE1("KdataMaxFields", kd_set_int,
                  KD_DIR(max_fields, 1, 1000), RSRC_CONF | ACCESS_CONF,
                  "Most fields in a request body (default 32)"),
    AP_INIT_TAKE1("KdataMaxFieldLength", kd_set_int,
                  KD_DIR(max_field, 16, 65536), RSRC_CONF | ACCESS_CONF,
                  "Longest field value in bytes (default 1024)"),
    AP_INIT_TAKE1("KdataRetryAfter", kd_set_int,
                  KD_DIR(retry_after, 1, 3600), RSRC_CONF | ACCESS_CONF,
                  "Retry-After seconds sent with 503 (default 5)"),
    AP_INIT_TAKE1("KdataWhmcsApi", kd_set_api_url, NULL, RSRC_CONF,
                  "URL of WHMCS's external API (.../includes/api.php): "
                  "what WHMCS does after a write is called through it"),
    AP_INIT_TAKE1("KdataWhmcsApiCredentials", kd_set_api_credentials,
                  NULL, RSRC_CONF,
                  "File holding the API credential's identifier and "
                  "secret, one a line, readable by root alone"),
    AP_INIT_TAKE1("KdataWhmcsApiAttempts", kd_set_int,
                  KD_SRV(api_attempts, 1, 1000), RSRC_CONF,
                  "Calls tried before an event is parked (default 10)"),
    AP_INIT_TAKE2("KdataWhmcsApiBackoff", kd_set_limit,
                  KD_SRV_LIMIT(api_backoff, 1, 86400, api_backoff_max, 1,
                               604800), RSRC_CONF,
                  "Seconds before the first retry, doubling up to the "
                  "second number (default 30 3600)"),
    AP_INIT_TAKE1("KdataWhmcsApiTimeout", kd_set_int,
                  KD_SRV(api_timeout, 2, 120), RSRC_CONF,
                  "Seconds one call to WHMCS may take (default 10)"),
    AP_INIT_TAKE1("KdataClusterHosts", kd_set_int,
                  KD_SRV(cluster_hosts, 1, 10000), RSRC_CONF,
                  "Apache hosts sharing this server's database, for the "
                  "check of its prepared-statement limit (default 1)"),
    {NULL}
};

/**** routing ****/

/* Each route, with whether it needs a bearer token and the WHMCS
 * permission a user who is not the client's owner must hold for it
 * (tblusers_clients.permissions; WHMCS 7 logins act as the owner). */
typedef struct {
    const char *path;           /* below the <Location> */
    kd_endpoint_fn fn;
    int needs_token;
    const char *permission;
} kd_route;

static const kd_route kd_routes[] = {
    {"login", kd_ep_login, 0, NULL},
    {"logout", kd_ep_logout, 1, NULL},
    {"refresh", kd_ep_refresh, 1, NULL},
    {"api/v1/getproduct", kd_ep_getproduct, 1, "products"},
    {"api/v1/addorder", kd_ep_addorder, 1, "orders"},
    {"api/v1/applycredit", kd_ep_applycredit, 1, "invoices"},
    {"api/v1/getinvoice", kd_ep_getinvoice, 1, "invoices"},
    {"api/v1/getinvoiceproduct", kd_ep_getinvoiceproduct, 1, "invoices"},
    {"api/v1/cancelrequest", kd_ep_cancelrequest, 1, "manageproducts"},
    {"api/v1/getclientsproducts", kd_ep_getclientsproducts, 1, "products"},
    {"api/v1/getinvoices", kd_ep_getinvoices, 1, "invoices"},
    {"api/v1/getclientsdetails", kd_ep_getclientsdetails, 1, "profile"},
    {NULL, NULL, 0, NULL}
};

/* The request path below the <Location> that holds SetHandler kdata
 * (kd_set_handler).  Without one (the handler came from AddHandler or a
 * RewriteRule's H= flag) the routes hang from the root. */
static const char *kd_route_path(const request_rec *r, const char *mount)
{
    const char *p = r->uri;
    apr_size_t n;

    if (mount) {
        n = strlen(mount);
        if (!strncmp(p, mount, n)) {
            p += n;
        }
    }
    while (*p == '/') {
        p++;
    }
    return p;
}

/* The route r's path names below mount, or NULL. */
static const kd_route *kd_route_find(const request_rec *r,
                                     const char *mount)
{
    const char *path = kd_route_path(r, mount);
    const kd_route *route;

    for (route = kd_routes; route->path; route++) {
        if (!strcmp(path, route->path)) {
            return route;
        }
    }
    return NULL;
}

/* The route a request httpd refused was for, as its answer is counted
 * (kd_metrics.c), or -1: not the API's, or no route. */
static int kd_refused_route(const request_rec *prev)
{
    const kd_dir_conf *dc;
    const kd_route *route;

    if (!prev->handler || strcmp(prev->handler, "kdata")) {
        return -1;
    }
    dc = ap_get_module_config(prev->per_dir_config, &kdata_module);
    route = kd_route_find(prev, dc->mount);
    return route ? (int)(route - kd_routes) : -1;
}

/* The route's answer: every step that answers returns its code. */
static int kd_route_request(kd_req *kr)
{
    request_rec *r = kr->r;
    const kd_route *route;
    int rc;

    /* An ErrorDocument pointing into the API (conf/kdata.conf): httpd
     * refused a request itself (a bad request line, a TRACE, a body over
     * LimitRequestBody, ...) and redirected it here, as a GET with the
     * refusal's status, whatever the path: the API's JSON instead of
     * httpd's HTML page.  A request of ours never reaches ap_die, and
     * other internal redirects (mod_rewrite) keep status 200. */
    if (r->prev && ap_is_HTTP_ERROR(r->status)) {
        kd_metrics_route(kr, kd_refused_route(r->prev));
        return kd_reply_refused(kr);
    }
    if (!(route = kd_route_find(r, kr->dconf->mount))) {
        return kd_error(kr, HTTP_NOT_FOUND, "message", "Not found");
    }
    kd_metrics_route(kr, (int)(route - kd_routes));
    kr->permission = route->permission;

    r->allowed = AP_METHOD_BIT << M_POST;
    if (r->method_number != M_POST || r->header_only) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return kd_error(kr, HTTP_METHOD_NOT_ALLOWED, "message",
                        "Method not allowed: use POST");
    }

    /* The token is checked before the body is read, so an anonymous
     * client cannot make us read (or parse) anything. */
    if (route->needs_token && (rc = kd_auth_token(kr)) != KD_NEXT) {
        return rc;
    }
    /* The whole body is read before a database connection is taken, so
     * a slow client never holds one of the pool's connections. */
    if ((rc = kd_body_read(kr)) != KD_NEXT) {
        return rc;
    }
    return route->fn(kr);
}

static int kd_handler(request_rec *r)
{
    kd_dir_conf dconf;
    kd_req *kr;
    int rc;

    if (!r->handler || strcmp(r->handler, "kdata")) {
        return DECLINED;
    }
    dconf = *(kd_dir_conf *)ap_get_module_config(r->per_dir_config,
                                                 &kdata_module);
    kd_dir_defaults(&dconf);

    kr = apr_pcalloc(r->pool, sizeof(*kr));
    kr->r = r;
    kr->sconf = ap_get_module_config(r->server->module_config,
                                     &kdata_module);
    kr->dconf = apr_pmemdup(r->pool, &dconf, sizeof(dconf));
    kd_metrics_begin(kr);
    rc = kd_route_request(kr);
    kd_metrics_done(kr, rc);
    return rc;
}

/* The counters' table, with a row for each route (kd_metrics.c). */
static int kd_metrics_init(apr_pool_t *pconf, server_rec *s)
{
    int i, n = (int)(sizeof(kd_routes) / sizeof(kd_routes[0])) - 1;
    const char **paths = apr_palloc(pconf, (apr_size_t)n * sizeof(*paths));

    for (i = 0; i < n; i++) {
        paths[i] = kd_routes[i].path;
    }
    return kd_metrics_post_config(pconf, s, paths, n);
}

/**** hooks ****/

/* Every statement of every unit: kd_db.c prepares each on a connection
 * when that connection first runs it. */
static const kd_stmt *const kd_all_stmts[] = {
    kd_stmts_db, kd_stmts_auth, kd_stmts_login, kd_stmts_product,
    kd_stmts_billing, kd_stmts_order, kd_stmts_credit, kd_stmts_invoice,
    kd_stmts_cancel, kd_stmts_list, kd_stmts_whmcs, kd_stmts_idem,
    kd_stmts_throttle, kd_stmts_outbox, NULL
};

/* KdataWhmcsApi and KdataWhmcsApiCredentials come together or not at
 * all: half of them would queue events nobody can send, or hold a
 * credential nothing uses. */
static int kd_check_api(server_rec *v, const kd_srv_conf *conf)
{
    if (conf->api_url && !conf->api_id) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, KDLOGNO(00004)
                     "KdataWhmcsApi %s needs KdataWhmcsApiCredentials: "
                     "the file holding WHMCS's API identifier and secret",
                     conf->api_url);
        return !OK;
    }
    if (conf->api_id && !conf->api_url) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, KDLOGNO(00005)
                     "KdataWhmcsApiCredentials %s without KdataWhmcsApi: "
                     "say where WHMCS's API is, or drop the credentials",
                     conf->api_cred_file);
        return !OK;
    }
    if (conf->api_backoff > conf->api_backoff_max) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, KDLOGNO(00006)
                     "KdataWhmcsApiBackoff %d %d: the first wait cannot be "
                     "longer than the longest", conf->api_backoff,
                     conf->api_backoff_max);
        return !OK;
    }
    return OK;
}

static int kd_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    server_rec *v;
    int rc;

    if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, KDLOGNO(00001)
                     "mod_kdata needs mod_dbd: LoadModule dbd_module "
                     "before kdata_module");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    for (v = s; v; v = v->next) {
        kd_srv_conf *conf = ap_get_module_config(v->module_config,
                                                 &kdata_module);
        if (!conf->key) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, KDLOGNO(00002)
                         "KdataTokenSecretFile is required: the HS256 key "
                         "(at least %d bytes) that signs tokens",
                         KD_JWT_MIN_KEY);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        kd_srv_defaults(conf);
        if (kd_check_api(v, conf) != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (kd_deliver_post_config(pconf, s) != OK) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Statements are prepared on each connection as it first runs them,
     * whichever virtual host's pool it belongs to (kd_db.c). */
    kd_db_statements(kd_all_stmts);
    json_object_seed(0);
    if ((rc = kd_metrics_init(pconf, s)) != OK) {
        return rc;
    }
    return kd_cache_post_config(pconf, ptemp, s,
                                ((kd_srv_conf *)ap_get_module_config(
                                    s->module_config, &kdata_module))->cache);
}

static int kd_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp)
{
    return kd_cache_pre_config(pconf);
}

static void kd_child_init(apr_pool_t *p, server_rec *s)
{
    kd_cache_child_init(p, s);
    kd_verified_child_init(p);
    kd_whmcs_child_init(p);
    kd_breaker_child_init(p);
}

static void kd_register_hooks(apr_pool_t *p)
{
    /* Before mod_watchdog's post_config, which starts the watchdogs
     * registered by then (kd_deliver_post_config). */
    static const char *const succ[] = {"mod_dbd.c", "mod_watchdog.c",
                                       NULL};

    ap_hook_pre_config(kd_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(kd_post_config, NULL, succ, APR_HOOK_MIDDLE);
    ap_hook_child_init(kd_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(kd_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(kd_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    kd_breaker_register_hooks();
    kd_pool_register_hooks();
}

module AP_MODULE_DECLARE_DATA kdata_module = {
    STANDARD20_MODULE_STUFF,
    kd_create_dir_conf,
    kd_merge_dir_conf,
    kd_create_srv_conf,
    kd_merge_srv_conf,
    kd_cmds,
    kd_register_hooks,
    /* Every <VirtualHost> gets a config of its own (kd_merge_srv_conf),
     * with runtime state of its own (conf->whmcs), even one that uses none
     * of our directives: httpd would otherwise hand it the main server's
     * config object itself, and a virtual host with a DBD pool of its
     * own may be another WHMCS installation (t/83-two-whmcs.t). */
    AP_MODULE_FLAG_ALWAYS_MERGE
};
