/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The single reply path: every answer mod_kdata gives, success or error,
 * leaves through kd_reply(), so each one is JSON, uncacheable and has a
 * Content-Length, and no handler ever lets httpd add an HTML page.  The
 * errors httpd answers itself reach it too, where an ErrorDocument
 * sends them into the API (kd_reply_refused).
 */

#include "apr_strings.h"
#include "http_protocol.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "kd_metrics.h"
#include "kd_reply.h"

struct kd_reply_hook {
    kd_reply_hook_fn fn;
    void *data;
    struct kd_reply_hook *next;
};

void kd_reply_on(kd_req *kr, kd_reply_hook_fn fn, void *data)
{
    struct kd_reply_hook *h = apr_palloc(kr->r->pool, sizeof(*h)), **tail;

    h->fn = fn;
    h->data = data;
    h->next = NULL;
    for (tail = &kr->on_reply; *tail; tail = &(*tail)->next) {
    }
    *tail = h;
}

int kd_reply_raw(kd_req *kr, int status, const char *text)
{
    request_rec *r = kr->r;
    apr_size_t len;
    int rc;

    /* Each recorder leaves the list before it runs: it is called once,
     * and a failure it answers (through here again) reaches only the
     * recorders after it. */
    while (kr->on_reply) {
        struct kd_reply_hook *h = kr->on_reply;

        kr->on_reply = h->next;
        if ((rc = h->fn(kr, h->data, status, text)) != KD_NEXT) {
            return rc;          /* the failure was answered instead */
        }
    }
    len = strlen(text);
    kd_metrics_answer(kr, status);

    /* Whatever of the body was not read is thrown away now; on errors
     * we may not have read it at all. */
    if (ap_discard_request_body(r) != OK) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    r->status = status;
    ap_set_content_type(r, "application/json");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(text, (int)len, r);
    }
    return OK;
}

/* The reply text, in request memory: json_dumps would grow a heap
 * buffer piece by piece and then copy it once more. */
typedef struct {
    apr_pool_t *p;
    char *data;
    apr_size_t len, cap;
} kd_text;

#define KD_REPLY_GUESS 4096     /* most replies fit: one allocation */

static int kd_text_add(const char *bytes, size_t n, void *data)
{
    kd_text *t = data;

    if (t->len + n + 1 > t->cap) {
        apr_size_t cap = t->cap ? t->cap * 2 : KD_REPLY_GUESS;
        char *grown;

        while (cap < t->len + n + 1) {
            cap *= 2;
        }
        grown = apr_palloc(t->p, cap);
        if (t->len) {
            memcpy(grown, t->data, t->len);
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    return 0;
}

const char *kd_reply_text(kd_req *kr, json_t *body)
{
    kd_text t = {kr->r->pool, NULL, 0, 0};
    int bad;

    bad = !body || json_dump_callback(body, kd_text_add, &t, JSON_COMPACT)
          || !t.len;
    json_decref(body);
    if (bad) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, kr->r, KDLOGNO(00101)
                      "cannot encode a reply (out of memory?)");
        return NULL;
    }
    t.data[t.len] = '\0';
    return t.data;
}

int kd_reply(kd_req *kr, int status, json_t *body)
{
    const char *text = kd_reply_text(kr, body);

    if (!text) {
        return kd_reply_raw(kr, HTTP_INTERNAL_SERVER_ERROR,
                            "{\"result\":\"error\",\"message\":"
                            "\"Internal error\"}");
    }
    return kd_reply_raw(kr, status, text);
}

int kd_error(kd_req *kr, int status, const char *key, const char *msg)
{
    json_t *body = json_object();

    if (body) {
        json_object_set_new_nocheck(body, "result", json_string("error"));
        json_object_set_new_nocheck(body, key, json_string(msg));
    }
    return kd_reply(kr, status, body);
}

int kd_unavailable(kd_req *kr)
{
    apr_table_setn(kr->r->headers_out, "Retry-After",
                   apr_itoa(kr->r->pool, kr->dconf->retry_after));
    return kd_error(kr, HTTP_SERVICE_UNAVAILABLE, "message",
                    "Service temporarily unavailable, try again later");
}

int kd_denied(kd_req *kr)
{
    return kd_error(kr, HTTP_FORBIDDEN, "messages", "Permission denied!");
}

int kd_internal(kd_req *kr)
{
    return kd_error(kr, HTTP_INTERNAL_SERVER_ERROR, "message",
                    "Internal error");
}

/* What the API says for the errors httpd gives itself: the words the
 * handler uses for the same status where it has one of its own. */
static const struct {
    int status;
    const char *msg;
} kd_refusals[] = {
    {HTTP_BAD_REQUEST, "Bad request"},
    {HTTP_UNAUTHORIZED, "Authorization required"},
    {HTTP_NOT_FOUND, "Not found"},
    {HTTP_METHOD_NOT_ALLOWED, "Method not allowed: use POST"},
    {HTTP_REQUEST_TIME_OUT, "Request not received in time"},
    {HTTP_LENGTH_REQUIRED, "Length required"},
    {HTTP_REQUEST_ENTITY_TOO_LARGE, "Request body too large"},
    {HTTP_REQUEST_URI_TOO_LARGE, "Request URI too long"},
    {HTTP_EXPECTATION_FAILED, "Expectation failed"},
    {HTTP_NOT_IMPLEMENTED, "Not implemented"},
    {HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported"},
    {0, NULL}
};

int kd_reply_refused(kd_req *kr)
{
    request_rec *r = kr->r;
    int status = r->status, i;

    switch (status) {
    case HTTP_FORBIDDEN:
        return kd_denied(kr);
    case HTTP_INTERNAL_SERVER_ERROR:
        return kd_internal(kr);
    case HTTP_SERVICE_UNAVAILABLE:
        return kd_unavailable(kr);
    case HTTP_METHOD_NOT_ALLOWED:
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        break;
    }
    for (i = 0; kd_refusals[i].status; i++) {
        if (kd_refusals[i].status == status) {
            return kd_error(kr, status, "message", kd_refusals[i].msg);
        }
    }
    /* Any other: httpd's own reason phrase ("409 Conflict" -> Conflict). */
    return kd_error(kr, status, "message", ap_get_status_line(status) + 4);
}
