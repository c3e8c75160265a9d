/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * Request bodies: the content type is checked (415), the size is capped
 * while reading (413, whether or not Content-Length was sent), and the
 * bytes go to the strict decoders in kd_form.c (400).  Fields stay in
 * r->pool for the request's life.
 */

#include "apr_strings.h"
#include "apr_lib.h"
#include "http_protocol.h"

#include "mod_kdata.h"
#include "kd_body.h"
#include "kd_form.h"
#include "kd_idem.h"
#include "kd_reply.h"

typedef enum {
    KD_CT_NONE = 0,
    KD_CT_FORM,
    KD_CT_JSON,
    KD_CT_OTHER
} kd_ctype;

/* The media type, ignoring parameters; a charset other than UTF-8 is
 * refused, since every field is decoded as UTF-8. */
static kd_ctype kd_content_type(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *semi, *cs;
    apr_size_t n;
    kd_ctype t;

    if (!ct) {
        return KD_CT_NONE;
    }
    semi = strchr(ct, ';');
    n = semi ? (apr_size_t)(semi - ct) : strlen(ct);
    while (n && apr_isspace(ct[n - 1])) {
        n--;
    }
    if (n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded", n)) {
        t = KD_CT_FORM;
    }
    else if (n == 16 && !strncasecmp(ct, "application/json", n)) {
        t = KD_CT_JSON;
    }
    else {
        return KD_CT_OTHER;
    }
    if (semi && (cs = ap_strcasestr(semi, "charset=")) != NULL) {
        cs += 8;
        if (*cs == '"') {
            cs++;
        }
        if (strncasecmp(cs, "utf-8", 5) && strncasecmp(cs, "utf8", 4)) {
            return KD_CT_OTHER;
        }
    }
    return t;
}

/* Reads at most max bytes; *len = max + 1 signals "too large".  Read
 * through ap_get_brigade rather than ap_get_client_block, which loses
 * the reason a read failed: a client too slow for mod_reqtimeout gets
 * 408 (it may retry), not 400 (its request would be wrong). */
static int kd_read_all(request_rec *r, apr_off_t max, char **out,
                       apr_size_t *len)
{
    apr_bucket_brigade *bb;
    apr_status_t rv;
    char *buf;
    apr_size_t got = 0, n;
    int rc, eos = 0;

    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        return rc;
    }
    buf = apr_palloc(r->pool, (apr_size_t)max + 2);
    if (ap_should_client_block(r)) {
        if (r->remaining > max) {
            *len = (apr_size_t)max + 1;
            *out = buf;
            return OK;
        }
        bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        while (!eos && got <= (apr_size_t)max) {
            rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                                APR_BLOCK_READ,
                                (apr_size_t)max + 1 - got);
            if (rv != APR_SUCCESS) {
                apr_brigade_cleanup(bb);
                r->connection->keepalive = AP_CONN_CLOSE;
                if (rv == AP_FILTER_ERROR) {
                    return AP_FILTER_ERROR;     /* see kd_body_read */
                }
                return APR_STATUS_IS_TIMEUP(rv) ? HTTP_REQUEST_TIME_OUT
                                                : HTTP_BAD_REQUEST;
            }
            eos = !APR_BRIGADE_EMPTY(bb)
                  && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb));
            n = (apr_size_t)max + 1 - got;
            rv = apr_brigade_flatten(bb, buf + got, &n);
            apr_brigade_cleanup(bb);
            if (rv != APR_SUCCESS) {
                return HTTP_BAD_REQUEST;
            }
            got += n;
            if (!n) {
                break;      /* as ap_get_client_block: nothing more */
            }
        }
    }
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return OK;
}

/* What the decoders accept but the API must not: the same field twice in
 * another letter case (two parsers could take different ones), and
 * characters outside the Basic Multilingual Plane in anything but a
 * password (WHMCS's utf8 columns cannot hold them; strict mode would fail
 * the write half way, a lax one would cut the text). */
static kd_form_status kd_fields_check(kd_req *kr, const char **why)
{
    apr_size_t i, j;
    const unsigned char *c;

    for (i = 0; i < kr->nfields; i++) {
        for (j = 0; j < i; j++) {
            if (!strcasecmp(kr->fields[i].key, kr->fields[j].key)) {
                *why = "a field given twice";
                return KD_FORM_DUPLICATE;
            }
        }
        if (!strcmp(kr->fields[i].key, "password")) {
            continue;
        }
        for (c = (const unsigned char *)kr->fields[i].val; *c; c++) {
            if (*c >= 0xf0) {
                *why = "characters outside the Basic Multilingual Plane "
                       "(such as emoji) cannot be stored by WHMCS";
                return KD_FORM_UTF8;
            }
        }
    }
    return KD_FORM_OK;
}

int kd_body_read(kd_req *kr)
{
    request_rec *r = kr->r;
    const kd_dir_conf *dc = kr->dconf;
    kd_form_limits lim;
    kd_form_status st;
    kd_ctype ct = kd_content_type(r);
    char *buf, *arena;
    const char *why = NULL;
    apr_size_t len = 0, arenasz;
    int rc;

    if (ct == KD_CT_OTHER) {
        return kd_error(kr, HTTP_UNSUPPORTED_MEDIA_TYPE, "message",
                        "Content-Type must be application/x-www-form-"
                        "urlencoded or application/json (UTF-8)");
    }
    rc = kd_read_all(r, dc->max_body, &buf, &len);
    if (rc != OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(00201)
                      "request body could not be read (status %d)", rc);
        if (rc == AP_FILTER_ERROR) {
            /* httpd's body filter has answered already (a chunked body
             * over LimitRequestBody, a bad chunk line): its error went
             * through ap_die, so through the ErrorDocument, if any.  A
             * second answer would follow the first on the wire. */
            return AP_FILTER_ERROR;
        }
        if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return kd_error(kr, rc, "message", "Request body too large");
        }
        if (rc == HTTP_REQUEST_TIME_OUT) {
            return kd_error(kr, rc, "message",
                            "Request body not received in time");
        }
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        "Request body could not be read");
    }
    if (len > (apr_size_t)dc->max_body) {
        /* Closing stops us from reading the rest to keep the connection. */
        r->connection->keepalive = AP_CONN_CLOSE;
        return kd_error(kr, HTTP_REQUEST_ENTITY_TOO_LARGE, "message",
                        "Request body too large");
    }
    if (len && ct == KD_CT_NONE) {
        return kd_error(kr, HTTP_UNSUPPORTED_MEDIA_TYPE, "message",
                        "Content-Type must be application/x-www-form-"
                        "urlencoded or application/json (UTF-8)");
    }

    /* Before decoding, which works in place: a repeated order is
     * recognised by the bytes the client sent. */
    if (apr_table_get(r->headers_in, "Idempotency-Key")) {
        kd_idem_fingerprint(kr, buf, len);
    }
    lim.max_fields = (size_t)dc->max_fields;
    lim.max_key = 64;
    lim.max_value = (size_t)dc->max_field;
    kr->fields = apr_pcalloc(r->pool, sizeof(kd_field) * lim.max_fields);
    kr->nfields = 0;
    if (!len) {
        return KD_NEXT;
    }
    if (ct == KD_CT_JSON) {
        arenasz = 2 * len + 16;
        arena = apr_palloc(r->pool, arenasz);
        st = kd_form_parse_json(buf, len, &lim, arena, arenasz,
                                kr->fields, &kr->nfields);
    }
    else {
        st = kd_form_parse_urlencoded(buf, len, &lim, kr->fields,
                                      &kr->nfields);
    }
    if (st == KD_FORM_OK) {
        st = kd_fields_check(kr, &why);
    }
    if (st != KD_FORM_OK && why) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(00203)
                      "refused request body: %s", why);
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        apr_pstrcat(r->pool, "Malformed request body: ",
                                    why, NULL));
    }
    if (st != KD_FORM_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, KDLOGNO(00202)
                      "malformed request body: %s", kd_form_strerror(st));
        if (st == KD_FORM_TOO_MANY || st == KD_FORM_TOO_LONG) {
            return kd_error(kr, HTTP_REQUEST_ENTITY_TOO_LARGE, "message",
                            apr_pstrcat(r->pool, "Malformed request body: ",
                                        kd_form_strerror(st), NULL));
        }
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        apr_pstrcat(r->pool, "Malformed request body: ",
                                    kd_form_strerror(st), NULL));
    }
    return KD_NEXT;
}

const char *kd_arg(const kd_req *kr, const char *key)
{
    apr_size_t i;

    for (i = 0; i < kr->nfields; i++) {
        if (!strcmp(kr->fields[i].key, key)) {
            return kr->fields[i].val;
        }
    }
    return NULL;
}

int kd_field_id(kd_req *kr, const char *key, long long *out)
{
    const char *v = kd_arg(kr, key), *p;
    long long n = 0;

    /* Digits only, no sign, no leading zero, below 2^31 (WHMCS ids are
     * int(10)), so "1e3", " 7" or "007" never reach SQL. */
    if (v && *v && *v != '0' && strlen(v) <= 10) {
        for (p = v; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (*p - '0');
        }
        if (!*p && n <= 2147483647LL) {
            *out = n;
            return KD_NEXT;
        }
    }
    return kd_error(kr, HTTP_BAD_REQUEST, "message",
                    apr_psprintf(kr->r->pool, v ? "Invalid %s" :
                                 "The %s field is required.", key));
}
