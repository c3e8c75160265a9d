/* Copyright 2026 the mod_kdata authors.
 * SPDX-License-Identifier: Apache-2.0 */

/*
 * The list calls customer scripts need, in WHMCS's own external-API
 * shapes and names, for the caller's own client only:
 * POST /api/v1/getclientsproducts (WHMCS GetClientsProducts: services,
 * paged), POST /api/v1/getinvoices (GetInvoices: invoices, paged, never
 * a Draft) and POST /api/v1/getclientsdetails (GetClientsDetails' client
 * object, cut to what a customer may read: with the credit balance).
 * Each is one round trip that also checks the caller (KD_CALLER_*), as
 * the other reads do; the caller's WHMCS permission is the route's.
 */

#include "apr_strings.h"

#include <jansson.h>

#include "mod_kdata.h"
#include "endpoints.h"
#include "kd_auth.h"
#include "kd_billing.h"
#include "kd_body.h"
#include "kd_whmcs.h"
#include "kd_db.h"
#include "kd_fmt.h"
#include "kd_json.h"
#include "kd_reply.h"

/* Paging, as WHMCS's list calls: limitstart from 0, limitnum 25 unless
 * given.  WHMCS sets no upper bound; ours keeps one reply (and the rows
 * read for it) bounded. */
#define KD_LIST_DEFAULT 25
#define KD_LIST_MAX 250
#define KD_ID_MAX 2147483647LL

/*
 * A page: the caller (KD_CALLER_*), then, joined to it, how many rows
 * match (a one-row derived table) and the page's ids (a derived table
 * read in index order, which stops after limitstart + limitnum rows),
 * then each id's row.  Without a row on the page, the caller's row is
 * still there, with NULLs.  No outer ORDER BY (it made MariaDB sort
 * through a temporary table): rows are put in the page's order here.
 */
#define KD_PAGE_COUNT(t, alias, filter) \
    " LEFT JOIN (SELECT COUNT(*) AS n FROM " t " " alias " WHERE " \
    alias ".userid = %d AND " filter(alias) ") cnt ON TRUE "
#define KD_PAGE_IDS(t, alias, filter, order) \
    "LEFT JOIN (SELECT " alias ".id FROM " t " " alias " WHERE " \
    alias ".userid = %d AND " filter(alias) " ORDER BY " order \
    " LIMIT %d OFFSET %d) pg ON TRUE "

/**** getclientsproducts ****/

/* WHMCS's filters: serviceid, pid, domain, and (ours) status; 0 or ''
 * when not given. */
#define KD_CP_FILTER(h) \
    "(%d = 0 OR " h ".id = %d) AND (%d = 0 OR " h ".packageid = %d) " \
    "AND (%s = '' OR " h ".domain = %s) " \
    "AND (%s = '' OR " h ".domainstatus = %s)"
#define KD_CP_FILTER_NARGS 8

enum {
    KD_CP_TOTAL = KD_CALLER_NCOLS, KD_CP_ID, KD_CP_USERID, KD_CP_ORDERID,
    KD_CP_ORDERNUM, KD_CP_PID, KD_CP_REGDATE, KD_CP_NAME, KD_CP_GROUP,
    KD_CP_DOMAIN, KD_CP_DEDICATEDIP, KD_CP_SERVERID, KD_CP_SERVERNAME,
    KD_CP_SERVERIP, KD_CP_SERVERHOST, KD_CP_SUSPEND, KD_CP_FIRSTPAY,
    KD_CP_RECURRING,
    KD_CP_METHOD, KD_CP_METHODNAME, KD_CP_CYCLE, KD_CP_NEXTDUE,
    KD_CP_STATUS, KD_CP_USERNAME, KD_CP_NS1, KD_CP_NS2, KD_CP_ASSIGNEDIPS,
    KD_CP_DISKUSAGE, KD_CP_DISKLIMIT, KD_CP_BWUSAGE, KD_CP_BWLIMIT,
    KD_CP_LASTUPDATE, KD_CP_CONFIGID, KD_CP_OPTIONID, KD_CP_QTY,
    KD_CP_FIELDID, KD_CP_FIELDNAME, KD_CP_FIELDORDER, KD_CP_FIELDVALUE
};

/* Each service on the page on one row per chosen option (kx.k 1) and
 * one per custom field of its product (kx.k 2), as rows and not as a
 * product of the two; a service with neither has a row of NULLs for
 * each.  Custom fields are those WHMCS's client area shows: not admin
 * only, and never a password field.  The gateway's display name is
 * WHMCS's own (tblpaymentgateways, setting 'name'), by its
 * gateway_setting index. */
#define KD_CP_COLS \
    ", cnt.n, h.id, h.userid, h.orderid, o.ordernum, h.packageid, " \
    KD_DATE("h.regdate") ", " KD_TXT("p.name", 255) ", " \
    KD_TXT("g.name", 255) ", " KD_TXT("h.domain", 255) ", " \
    KD_TXT("h.dedicatedip", 255) ", h.server, " KD_TXT("s.name", 255) \
    ", " KD_TXT("s.ipaddress", 255) ", " KD_TXT("s.hostname", 255) ", " \
    KD_TXT("h.suspendreason", 1024) ", h.firstpaymentamount, h.amount, " \
    KD_TXT("h.paymentmethod", 255) ", (SELECT " KD_TXT("gw.value", 255) \
    " FROM tblpaymentgateways gw WHERE gw.gateway = h.paymentmethod " \
    "AND gw.setting = 'name' ORDER BY gw.id LIMIT 1), " \
    KD_TXT("h.billingcycle", 32) ", " KD_DATE("h.nextduedate") ", " \
    "h.domainstatus, " KD_TXT("h.username", 255) ", " \
    KD_TXT("h.ns1", 255) ", " KD_TXT("h.ns2", 255) ", " \
    KD_TXT("h.assignedips", 8192) ", h.diskusage, h.disklimit, " \
    "h.bwusage, h.bwlimit, " KD_DATE("h.lastupdate") ", " \
    "hc.configid, hc.optionid, hc.qty, cf.id, " \
    KD_TXT("cf.fieldname", 255) ", cf.sortorder, " \
    KD_TXT("cv.value", 8192) " "
#define KD_CP_JOINS \
    KD_PAGE_COUNT("tblhosting", "hn", KD_CP_FILTER) \
    KD_PAGE_IDS("tblhosting", "hp", KD_CP_FILTER, "hp.id") \
    "LEFT JOIN tblhosting h ON h.id = pg.id " \
    "LEFT JOIN tblorders o ON o.id = h.orderid " \
    "LEFT JOIN tblproducts p ON p.id = h.packageid " \
    "LEFT JOIN tblproductgroups g ON g.id = p.gid " \
    "LEFT JOIN tblservers s ON s.id = h.server " \
    "LEFT JOIN (SELECT 1 AS k UNION ALL SELECT 2) kx ON h.id IS NOT NULL " \
    "LEFT JOIN tblhostingconfigoptions hc ON kx.k = 1 AND hc.relid = h.id " \
    "LEFT JOIN tblcustomfields cf ON kx.k = 2 AND cf.type = 'product' " \
    "AND cf.relid = h.packageid AND cf.adminonly = '' " \
    "AND cf.fieldtype <> 'password' " \
    "LEFT JOIN tblcustomfieldsvalues cv ON cv.fieldid = cf.id " \
    "AND cv.relid = h.id WHERE c.id = %d"

/**** getinvoices ****/

/* Drafts are WHMCS's unfinished invoices, which its client area never
 * shows; Overdue is WHMCS's pseudo-status: Unpaid and due before today
 * (the date is the caller's argument: the server's local day). */
#define KD_GI_FILTER(i) \
    i ".status <> 'Draft' AND (%s = '' OR " i ".status = %s " \
    "OR (%s = 'Overdue' AND " i ".status = 'Unpaid' " \
    "AND " i ".duedate < %s))"
#define KD_GI_FILTER_NARGS 4

/* The other orders GetInvoices takes (WHMCS 7.7+), as sort keys of one
 * type each, id last; all but one are NULL for a given orderby. */
#define KD_GI_BY(dir) \
    "CASE %s WHEN 'date' THEN ip.date WHEN 'duedate' THEN ip.duedate " \
    "END " dir ", CASE %s WHEN 'total' THEN ip.total END " dir ", " \
    "CASE %s WHEN 'status' THEN ip.status " \
    "WHEN 'invoicenumber' THEN ip.invoicenum END " dir ", ip.id " dir

enum {
    KD_IV_TOTAL = KD_CALLER_NCOLS, KD_IV_ID, KD_IV_USERID, KD_IV_FIRSTNAME,
    KD_IV_LASTNAME, KD_IV_COMPANY, KD_IV_NUM, KD_IV_DATE, KD_IV_DUEDATE,
    KD_IV_DATEPAID, KD_IV_CAPTURE, KD_IV_SUBTOTAL, KD_IV_CREDIT, KD_IV_TAX,
    KD_IV_TAX2, KD_IV_AMOUNT, KD_IV_RATE, KD_IV_RATE2, KD_IV_STATUS,
    KD_IV_METHOD, KD_IV_NOTES, KD_IV_CURCODE, KD_IV_CURPREFIX,
    KD_IV_CURSUFFIX
};

/* The client's currency, or the installation's default (currency 0 or
 * gone), as WHMCS's getCurrency and addorder pick it. */
#define KD_CURRENCY_JOIN \
    " LEFT JOIN tblcurrencies cu ON cu.id = COALESCE(" \
    "(SELECT id FROM tblcurrencies WHERE id = c.currency), " \
    "(SELECT id FROM tblcurrencies ORDER BY `default` DESC, id LIMIT 1))"
#define KD_CURRENCY_COLS \
    KD_TXT("cu.code", 16) ", " KD_TXT("cu.prefix", 64) ", " \
    KD_TXT("cu.suffix", 64) " "

#define KD_GI_COLS \
    ", cnt.n, i.id, i.userid, " KD_TXT("c.firstname", 255) ", " \
    KD_TXT("c.lastname", 255) ", " KD_TXT("c.companyname", 255) ", " \
    KD_TXT("i.invoicenum", 255) ", " KD_DATE("i.date") ", " \
    KD_DATE("i.duedate") ", " KD_DATE("i.datepaid") ", " \
    KD_DATE("i.last_capture_attempt") ", i.subtotal, i.credit, i.tax, " \
    "i.tax2, i.total, i.taxrate, i.taxrate2, " KD_TXT("i.status", 32) \
    ", " KD_TXT("i.paymentmethod", 255) ", " KD_TXT("i.notes", 16383) \
    ", " KD_CURRENCY_COLS
#define KD_GI_JOINS(order) \
    KD_CURRENCY_JOIN KD_PAGE_COUNT("tblinvoices", "iq", KD_GI_FILTER) \
    KD_PAGE_IDS("tblinvoices", "ip", KD_GI_FILTER, order) \
    "LEFT JOIN tblinvoices i ON i.id = pg.id WHERE c.id = %d"
#define KD_GI_STMT(label, v, flags, order) \
    {label, "SELECT " KD_CALLER_COLS##v KD_GI_COLS \
     "FROM " KD_CALLER_FROM##v KD_GI_JOINS(order), flags}
#define KD_GI_STMT7(label, order) \
    KD_GI_STMT(label "7", 7, KD_STMT_OWN, order)
#define KD_GI_STMT8(label, order) \
    KD_GI_STMT(label "8", 8, KD_STMT_WHMCS8 | KD_STMT_OWN, order)

/**** getclientsdetails ****/

enum {
    KD_CD_UUID = KD_CALLER_NCOLS, KD_CD_FIRSTNAME, KD_CD_LASTNAME,
    KD_CD_COMPANY, KD_CD_EMAIL, KD_CD_ADDRESS1, KD_CD_ADDRESS2, KD_CD_CITY,
    KD_CD_STATE, KD_CD_POSTCODE, KD_CD_COUNTRY, KD_CD_PHONE,
    KD_CD_CURRENCY, KD_CD_CURCODE, KD_CD_GATEWAY, KD_CD_GROUPID,
    KD_CD_STATUS, KD_CD_CREDIT, KD_CD_TAXEXEMPT, KD_CD_LANGUAGE
};

#define KD_CD_COLS \
    ", " KD_TXT("c.uuid", 64) ", " KD_TXT("c.firstname", 255) ", " \
    KD_TXT("c.lastname", 255) ", " KD_TXT("c.companyname", 255) ", " \
    KD_TXT("c.email", 255) ", " KD_TXT("c.address1", 255) ", " \
    KD_TXT("c.address2", 255) ", " KD_TXT("c.city", 255) ", " \
    KD_TXT("c.state", 255) ", " KD_TXT("c.postcode", 64) ", " \
    KD_TXT("c.country", 64) ", " KD_TXT("c.phonenumber", 64) ", " \
    "cu.id, " KD_TXT("cu.code", 16) ", " KD_TXT("c.defaultgateway", 255) \
    ", c.groupid, c.status, c.credit, c.taxexempt, " \
    KD_TXT("c.language", 64) " "

const kd_stmt kd_stmts_list[] = {
    {"kd_clientsproducts7", "SELECT " KD_CALLER_COLS7 KD_CP_COLS
     "FROM " KD_CALLER_FROM7 KD_CP_JOINS, KD_STMT_OWN},
    {"kd_clientsproducts8", "SELECT " KD_CALLER_COLS8 KD_CP_COLS
     "FROM " KD_CALLER_FROM8 KD_CP_JOINS, KD_STMT_WHMCS8 | KD_STMT_OWN},
    /* By id (the default) the page is read in the userid index's order
     * and stops early; any other order sorts the client's invoices. */
    KD_GI_STMT7("kd_invoices_id_asc", "ip.id"),
    KD_GI_STMT8("kd_invoices_id_asc", "ip.id"),
    KD_GI_STMT7("kd_invoices_id_desc", "ip.id DESC"),
    KD_GI_STMT8("kd_invoices_id_desc", "ip.id DESC"),
    KD_GI_STMT7("kd_invoices_by_asc", KD_GI_BY("ASC")),
    KD_GI_STMT8("kd_invoices_by_asc", KD_GI_BY("ASC")),
    KD_GI_STMT7("kd_invoices_by_desc", KD_GI_BY("DESC")),
    KD_GI_STMT8("kd_invoices_by_desc", KD_GI_BY("DESC")),
    {"kd_clientsdetails7", "SELECT " KD_CALLER_COLS7 KD_CD_COLS
     "FROM " KD_CALLER_FROM7 KD_CURRENCY_JOIN " WHERE c.id = %d",
     KD_STMT_OWN},
    {"kd_clientsdetails8", "SELECT " KD_CALLER_COLS8 KD_CD_COLS
     "FROM " KD_CALLER_FROM8 KD_CURRENCY_JOIN " WHERE c.id = %d",
     KD_STMT_WHMCS8 | KD_STMT_OWN},
    {NULL, NULL, 0}
};

/**** inputs ****/

/* An optional whole number in [min, max]: absent or "" is def.  Digits
 * only, no sign, no leading zero, so nothing else reaches SQL. */
static int kd_opt_num(kd_req *kr, const char *key, long long def,
                      long long min, long long max, long long *out)
{
    const char *v = kd_arg(kr, key), *p;
    long long n = 0;

    if (!v || !*v) {
        *out = def;
        return KD_NEXT;
    }
    for (p = v; *p >= '0' && *p <= '9' && p - v < 10; p++) {
        n = n * 10 + (*p - '0');
    }
    if (*p || (*v == '0' && v[1]) || n < min || n > max) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message",
                        apr_psprintf(kr->r->pool, "Invalid %s", key));
    }
    *out = n;
    return KD_NEXT;
}

/* The words of a NULL-ended list, joined by commas. */
static const char *kd_join(apr_pool_t *p, const char *const *words)
{
    const char *s = words[0];
    int i;

    for (i = 1; words[i]; i++) {
        s = apr_pstrcat(p, s, ",", words[i], NULL);
    }
    return s;
}

/* An optional word from a list ("" when absent), exact or, with fold,
 * in any case (WHMCS lower-cases orderby and order, and compares a
 * status in the table's case-blind collation), then as the list spells
 * it; else 400 naming the list. */
static int kd_opt_word(kd_req *kr, const char *key,
                       const char *const *valid, int fold, const char **out)
{
    const char *v = kd_arg(kr, key);
    int i;

    *out = v ? v : "";
    if (!**out) {
        return KD_NEXT;
    }
    for (i = 0; valid[i]; i++) {
        if (fold ? !strcasecmp(*out, valid[i]) : !strcmp(*out, valid[i])) {
            *out = valid[i];
            return KD_NEXT;
        }
    }
    return kd_error(kr, HTTP_BAD_REQUEST, "message",
                    apr_pstrcat(kr->r->pool, "Invalid ", key,
                                ": valid values are ",
                                kd_join(kr->r->pool, valid), NULL));
}

/* WHMCS's clientid or userid: these calls read the caller's own client
 * only, so naming another is refused as any other client's object is
 * (403), never silently answered for the caller's. */
static int kd_opt_self(kd_req *kr, const char *key)
{
    long long id;
    int rc;

    if ((rc = kd_opt_num(kr, key, 0, 0, KD_ID_MAX, &id)) != KD_NEXT) {
        return rc;
    }
    return id && id != kr->caller.client_id ? kd_denied(kr) : KD_NEXT;
}

/* limitstart and limitnum. */
static int kd_page_args(kd_req *kr, long long *start, long long *num)
{
    int rc;

    if ((rc = kd_opt_num(kr, "limitstart", 0, 0, KD_ID_MAX, start))
        != KD_NEXT) {
        return rc;
    }
    return kd_opt_num(kr, "limitnum", KD_LIST_DEFAULT, 1, KD_LIST_MAX, num);
}

/**** replies ****/

/* How a column reads in a reply. */
typedef enum {
    KD_V_TEXT,                  /* a string, as stored ("" for NULL) */
    KD_V_INT,                   /* a JSON number */
    KD_V_MONEY,                 /* a string with two decimals */
    KD_V_RATE                   /* a tax rate, "10.00" or "10.125" */
} kd_vkind;

/* One key of a reply object and the column it comes from; a map lists
 * them in the reply's order (WHMCS's), ended by a NULL key. */
typedef struct {
    const char *key;
    int col;
    kd_vkind kind;
} kd_vcol;

static void kd_put_row(apr_pool_t *p, json_t *o, const kd_rows *rows,
                       int i, const kd_vcol *map)
{
    const char *v;
    json_t *j;

    for (; map->key; map++) {
        v = kd_rows_get(rows, i, map->col);
        switch (map->kind) {
        case KD_V_INT:
            j = json_integer(v ? apr_atoi64(v) : 0);
            break;
        case KD_V_MONEY:
            j = json_string(kd_cents_str(p, kd_cents_of(v)));
            break;
        case KD_V_RATE:
            j = json_string(kd_rate_text(p, v));
            break;
        default:
            j = kd_json_str(v);
        }
        json_object_set_new_nocheck(o, map->key, j);
    }
}

/* GetClientsProducts' product, in its documented order.  Left out:
 * password (WHMCS sends it decrypted; we cannot decrypt it, and would
 * not send it), the admin-only notes, subscriptionid, promotion and
 * override settings, qty, translated names (README).  customfields
 * and configoptions follow (kd_cp_product_json). */
static const kd_vcol kd_cp_product[] = {
    {"id", KD_CP_ID, KD_V_TEXT}, {"clientid", KD_CP_USERID, KD_V_TEXT},
    {"orderid", KD_CP_ORDERID, KD_V_TEXT},
    {"ordernumber", KD_CP_ORDERNUM, KD_V_TEXT},
    {"pid", KD_CP_PID, KD_V_TEXT}, {"regdate", KD_CP_REGDATE, KD_V_TEXT},
    {"name", KD_CP_NAME, KD_V_TEXT}, {"groupname", KD_CP_GROUP, KD_V_TEXT},
    {"domain", KD_CP_DOMAIN, KD_V_TEXT},
    {"dedicatedip", KD_CP_DEDICATEDIP, KD_V_TEXT},
    {"serverid", KD_CP_SERVERID, KD_V_TEXT},
    {"servername", KD_CP_SERVERNAME, KD_V_TEXT},
    {"serverip", KD_CP_SERVERIP, KD_V_TEXT},
    {"serverhostname", KD_CP_SERVERHOST, KD_V_TEXT},
    {"suspensionreason", KD_CP_SUSPEND, KD_V_TEXT},
    {"firstpaymentamount", KD_CP_FIRSTPAY, KD_V_MONEY},
    {"recurringamount", KD_CP_RECURRING, KD_V_MONEY},
    {"paymentmethod", KD_CP_METHOD, KD_V_TEXT},
    {"paymentmethodname", KD_CP_METHODNAME, KD_V_TEXT},
    {"billingcycle", KD_CP_CYCLE, KD_V_TEXT},
    {"nextduedate", KD_CP_NEXTDUE, KD_V_TEXT},
    {"status", KD_CP_STATUS, KD_V_TEXT},
    {"username", KD_CP_USERNAME, KD_V_TEXT},
    {"ns1", KD_CP_NS1, KD_V_TEXT}, {"ns2", KD_CP_NS2, KD_V_TEXT},
    {"assignedips", KD_CP_ASSIGNEDIPS, KD_V_TEXT},
    {"diskusage", KD_CP_DISKUSAGE, KD_V_TEXT},
    {"disklimit", KD_CP_DISKLIMIT, KD_V_TEXT},
    {"bwusage", KD_CP_BWUSAGE, KD_V_TEXT},
    {"bwlimit", KD_CP_BWLIMIT, KD_V_TEXT},
    {"lastupdate", KD_CP_LASTUPDATE, KD_V_TEXT},
    {NULL, 0, KD_V_TEXT}
};

/* GetInvoices' invoice: every tblinvoices column WHMCS 7 and 8 both
 * have, the client's names and the currency, as WHMCS 8 types them. */
static const kd_vcol kd_gi_invoice[] = {
    {"id", KD_IV_ID, KD_V_INT}, {"userid", KD_IV_USERID, KD_V_INT},
    {"firstname", KD_IV_FIRSTNAME, KD_V_TEXT},
    {"lastname", KD_IV_LASTNAME, KD_V_TEXT},
    {"companyname", KD_IV_COMPANY, KD_V_TEXT},
    {"invoicenum", KD_IV_NUM, KD_V_TEXT}, {"date", KD_IV_DATE, KD_V_TEXT},
    {"duedate", KD_IV_DUEDATE, KD_V_TEXT},
    {"datepaid", KD_IV_DATEPAID, KD_V_TEXT},
    {"last_capture_attempt", KD_IV_CAPTURE, KD_V_TEXT},
    {"subtotal", KD_IV_SUBTOTAL, KD_V_MONEY},
    {"credit", KD_IV_CREDIT, KD_V_MONEY}, {"tax", KD_IV_TAX, KD_V_MONEY},
    {"tax2", KD_IV_TAX2, KD_V_MONEY}, {"total", KD_IV_AMOUNT, KD_V_MONEY},
    {"taxrate", KD_IV_RATE, KD_V_RATE}, {"taxrate2", KD_IV_RATE2, KD_V_RATE},
    {"status", KD_IV_STATUS, KD_V_TEXT},
    {"paymentmethod", KD_IV_METHOD, KD_V_TEXT},
    {"notes", KD_IV_NOTES, KD_V_TEXT},
    {"currencycode", KD_IV_CURCODE, KD_V_TEXT},
    {"currencyprefix", KD_IV_CURPREFIX, KD_V_TEXT},
    {"currencysuffix", KD_IV_CURSUFFIX, KD_V_TEXT},
    {NULL, 0, KD_V_TEXT}
};

/* The paging keys every list reply has. */
static void kd_put_paging(json_t *body, json_t *total, long long start,
                          size_t n)
{
    json_object_set_new_nocheck(body, "totalresults", total);
    json_object_set_new_nocheck(body, "startnumber", json_integer(start));
    json_object_set_new_nocheck(body, "numreturned",
                                json_integer((json_int_t)n));
}

/* The page's rows in order: by the kind's key, then id, then sub (all
 * in dir's direction), then the row. */
typedef struct {
    int row;
    int kind;                   /* KD_SORT_* (the same in every entry) */
    int dir;                    /* 1 ascending, -1 descending */
    long long num;              /* KD_SORT_NUM: an amount, a service */
    const char *text;           /* KD_SORT_TEXT, _CASE: a date, a word */
    long long id;               /* an invoice, an option's order */
    long long sub;              /* an option's id */
} kd_sorted;

enum { KD_SORT_ID, KD_SORT_NUM, KD_SORT_TEXT, KD_SORT_CASE };

#define KD_CMP(a, b) ((a) < (b) ? -1 : (a) > (b))

static int kd_sorted_cmp(const void *a, const void *b)
{
    const kd_sorted *x = a, *y = b;
    int c = 0;

    if (x->kind == KD_SORT_NUM) {
        c = KD_CMP(x->num, y->num);
    }
    else if (x->kind == KD_SORT_TEXT) {
        c = strcmp(x->text, y->text);
    }
    else if (x->kind == KD_SORT_CASE) {
        /* The tables' collation ignores case (for the words WHMCS
         * keeps there, ASCII). */
        c = strcasecmp(x->text, y->text);
    }
    if (!c && !(c = KD_CMP(x->id, y->id))) {
        c = KD_CMP(x->sub, y->sub);
    }
    return c ? c * x->dir : KD_CMP(x->row, y->row);
}

/**** getclientsproducts ****/

static const char *const kd_service_statuses[] = {
    "Pending", "Active", "Suspended", "Terminated", "Cancelled", "Fraud",
    "Completed", NULL
};

/* What the caller asked for: 0 and "" are "any". */
typedef struct {
    long long serviceid, pid, start, num;
    const char *domain, *status;
} kd_cp_query;

static int kd_cp_args(kd_req *kr, kd_cp_query *q)
{
    int rc;

    if ((rc = kd_opt_self(kr, "clientid")) != KD_NEXT
        || (rc = kd_opt_num(kr, "serviceid", 0, 0, KD_ID_MAX,
                            &q->serviceid)) != KD_NEXT
        || (rc = kd_opt_num(kr, "pid", 0, 0, KD_ID_MAX, &q->pid)) != KD_NEXT
        || (rc = kd_opt_word(kr, "status", kd_service_statuses, 1,
                             &q->status)) != KD_NEXT
        || (rc = kd_page_args(kr, &q->start, &q->num)) != KD_NEXT) {
        return rc;
    }
    q->domain = kd_arg(kr, "domain");
    q->domain = q->domain ? q->domain : "";
    if (strlen(q->domain) > 255) {
        return kd_error(kr, HTTP_BAD_REQUEST, "message", "Invalid domain");
    }
    return KD_NEXT;
}

/* KD_CP_FILTER's arguments; @return how many. */
static int kd_cp_filter_args(apr_pool_t *p, const kd_cp_query *q,
                             const char **args)
{
    args[0] = args[1] = kd_id(p, q->serviceid);
    args[2] = args[3] = kd_id(p, q->pid);
    args[4] = args[5] = q->domain;
    args[6] = args[7] = q->status;
    return KD_CP_FILTER_NARGS;
}

/* The round trip, with the caller checked and allowed. */
static int kd_cp_load(kd_req *kr, const kd_cp_query *q, kd_rows **rowsp)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[32], *cid = kd_id(p, kr->caller.client_id);
    kd_rows *rows;
    int rc, v8, n;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = cid;                            /* the count */
    n += kd_cp_filter_args(p, q, args + n);
    args[n++] = cid;                            /* the page */
    n += kd_cp_filter_args(p, q, args + n);
    args[n++] = kd_id(p, q->num);
    args[n++] = kd_id(p, q->start);
    args[n++] = cid;                            /* the caller */
    /* The caller and the count are the same on every row. */
    rc = kd_db_select_common(kr, v8 ? "kd_clientsproducts8"
                                    : "kd_clientsproducts7",
                             &rows, n, args, KD_CP_ID);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    *rowsp = rows;
    return KD_NEXT;
}

/* An option row's option and sub-option in the catalogue snapshot; one
 * it lacks (added since) takes a new snapshot, once per request. */
static int kd_cp_lookup(kd_req *kr, kd_catalog **cat, int *reloaded,
                        const char *cid, const char *sid,
                        const kd_copt **o, const kd_csub **sub)
{
    int rc;

    if (!*cat && (rc = kd_catalog_get(kr, 0, cat)) != KD_NEXT) {
        return rc;
    }
    *o = kd_catalog_option(*cat, cid);
    *sub = kd_catalog_sub(*cat, sid);
    if ((!*o || (sid && strcmp(sid, "0") && !*sub)) && !*reloaded) {
        if ((rc = kd_catalog_get(kr, 1, cat)) != KD_NEXT) {
            return rc;
        }
        *reloaded = 1;
        *o = kd_catalog_option(*cat, cid);
        *sub = kd_catalog_sub(*cat, sid);
    }
    return KD_NEXT;
}

/* A chosen option as GetClientsProducts' configoption: the selected
 * sub-option's display name for a dropdown or radio, the quantity for
 * a yes/no (0 or 1) or quantity option, as WHMCS's API gives them. */
static json_t *kd_cp_option_json(apr_pool_t *p, const kd_rows *rows,
                                 int i, const kd_copt *o,
                                 const kd_csub *sub)
{
    static const char *const types[] = {
        "dropdown", "radio", "yesno", "quantity"
    };
    const char *qty = kd_rows_get(rows, i, KD_CP_QTY);
    int t = o->type[0] >= '1' && o->type[0] <= '4' && !o->type[1]
            ? o->type[0] - '1' : 0;
    json_t *j = json_object();

    json_object_set_new_nocheck(j, "id", kd_json_str(kd_id(p, o->id)));
    json_object_set_new_nocheck(j, "option",
                                kd_json_str(kd_display_name(p, o->name)));
    json_object_set_new_nocheck(j, "type", json_string(types[t]));
    json_object_set_new_nocheck(j, "value", kd_json_str(
        t >= 2 ? (qty ? qty : "0")
        : sub && sub->name && sub->configid == o->id
          ? kd_display_name(p, sub->name) : ""));
    return j;
}

/* Custom fields come after the options in a service's rows. */
#define KD_CP_FIELDS_AFTER (1LL << 40)

/* The page's rows by service, then option (WHMCS's order: the option's
 * order, then id), then custom field (sort order, then id); opts[i] and
 * subs[i] are row i's option and sub-option, NULL for none. */
static int kd_cp_sort(kd_req *kr, const kd_rows *rows, kd_sorted **out,
                      int *nout, const kd_copt ***opts,
                      const kd_csub ***subs)
{
    apr_pool_t *p = kr->r->pool;
    int i, n = 0, rc, reloaded = 0, nrows = kd_rows_count(rows);
    kd_catalog *cat = NULL;
    kd_sorted *s = apr_pcalloc(p, sizeof(*s) * (nrows + 1));
    const char *cid, *fid;

    *opts = apr_pcalloc(p, sizeof(**opts) * (nrows + 1));
    *subs = apr_pcalloc(p, sizeof(**subs) * (nrows + 1));
    for (i = 0; i < nrows; i++) {
        if (!kd_rows_get(rows, i, KD_CP_ID)) {
            continue;           /* the caller alone: an empty page */
        }
        cid = kd_rows_get(rows, i, KD_CP_CONFIGID);
        fid = kd_rows_get(rows, i, KD_CP_FIELDID);
        if (cid && (rc = kd_cp_lookup(kr, &cat, &reloaded, cid,
                                      kd_rows_get(rows, i, KD_CP_OPTIONID),
                                      &(*opts)[i], &(*subs)[i]))
                   != KD_NEXT) {
            return rc;
        }
        s[n].row = i;
        s[n].kind = KD_SORT_NUM;
        s[n].dir = 1;
        s[n].num = apr_atoi64(kd_rows_get(rows, i, KD_CP_ID));
        if (fid) {
            s[n].id = KD_CP_FIELDS_AFTER + apr_atoi64(kd_rows_get(rows, i,
                                                      KD_CP_FIELDORDER));
            s[n].sub = apr_atoi64(fid);
        }
        else if ((*opts)[i]) {
            s[n].id = (*opts)[i]->order;
            s[n].sub = (*opts)[i]->id;
        }
        n++;
    }
    qsort(s, (size_t)n, sizeof(*s), kd_sorted_cmp);
    *out = s;
    *nout = n;
    return KD_NEXT;
}

/* A product's customfields.customfield and configoptions.configoption
 * lists, in WHMCS's order of keys; *fields and *copts receive them. */
static json_t *kd_cp_product_json(apr_pool_t *p, const kd_rows *rows,
                                  int i, json_t **fields, json_t **copts)
{
    json_t *prod = json_object(), *o;

    kd_put_row(p, prod, rows, i, kd_cp_product);
    o = json_object();
    json_object_set_new_nocheck(o, "customfield", *fields = json_array());
    json_object_set_new_nocheck(prod, "customfields", o);
    o = json_object();
    json_object_set_new_nocheck(o, "configoption", *copts = json_array());
    json_object_set_new_nocheck(prod, "configoptions", o);
    return prod;
}

/* A custom field as GetClientsProducts' customfield: its display name
 * (WHMCS's "value|Display" convention) and the service's value ("" for
 * none). */
static json_t *kd_cp_field_json(apr_pool_t *p, const kd_rows *rows, int i)
{
    const char *name = kd_rows_get(rows, i, KD_CP_FIELDNAME);
    json_t *j = json_object();

    json_object_set_new_nocheck(j, "id",
        kd_json_str(kd_rows_get(rows, i, KD_CP_FIELDID)));
    json_object_set_new_nocheck(j, "name",
        kd_json_str(name ? kd_display_name(p, name) : ""));
    json_object_set_new_nocheck(j, "value",
        kd_json_str(kd_rows_get(rows, i, KD_CP_FIELDVALUE)));
    return j;
}

/* products.product: one entry per service, with its custom fields and
 * options.  Left out, as WHMCS's client area leaves them out: a hidden
 * option; and a dangling row (its option gone).  A field with two
 * values (no unique key stops it) is listed once. */
static int kd_cp_products(kd_req *kr, const kd_rows *rows, json_t **out)
{
    apr_pool_t *p = kr->r->pool;
    const kd_copt **opts, *o;
    const kd_csub **subs;
    kd_sorted *s;
    json_t *list = json_array(), *fields = NULL, *copts = NULL;
    int i, n, rc, row;

    if ((rc = kd_cp_sort(kr, rows, &s, &n, &opts, &subs)) != KD_NEXT) {
        json_decref(list);
        return rc;
    }
    for (i = 0; i < n; i++) {
        row = s[i].row;
        o = opts[row];
        if (!i || s[i].num != s[i - 1].num) {
            json_array_append_new(list, kd_cp_product_json(p, rows, row,
                                                           &fields, &copts));
        }
        else if (s[i].id == s[i - 1].id && s[i].sub == s[i - 1].sub) {
            continue;           /* the same field (or option) again */
        }
        if (kd_rows_get(rows, row, KD_CP_FIELDID)) {
            json_array_append_new(fields, kd_cp_field_json(p, rows, row));
        }
        else if (o && !o->hidden) {
            json_array_append_new(copts, kd_cp_option_json(p, rows, row, o,
                                                           subs[row]));
        }
    }
    *out = list;
    return KD_NEXT;
}

/* A filter WHMCS echoes back: its value, or null when not given. */
static json_t *kd_echo(apr_pool_t *p, long long v, const char *s)
{
    return s ? (*s ? kd_json_str(s) : json_null())
             : (v ? kd_json_str(kd_id(p, v)) : json_null());
}

int kd_ep_getclientsproducts(kd_req *kr)
{
    apr_pool_t *p = kr->r->pool;
    kd_cp_query q;
    kd_rows *rows = NULL;
    json_t *body, *list, *o;
    int rc;

    if ((rc = kd_cp_args(kr, &q)) != KD_NEXT
        || (rc = kd_cp_load(kr, &q, &rows)) != KD_NEXT
        || (rc = kd_cp_products(kr, rows, &list)) != KD_NEXT) {
        return rc;
    }
    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "clientid", kd_json_str(
        kd_id(p, kr->caller.client_id)));
    json_object_set_new_nocheck(body, "serviceid",
                                kd_echo(p, q.serviceid, NULL));
    json_object_set_new_nocheck(body, "pid", kd_echo(p, q.pid, NULL));
    json_object_set_new_nocheck(body, "domain", kd_echo(p, 0, q.domain));
    /* totalresults a string, as WHMCS's (a COUNT(*) as PHP read it). */
    kd_put_paging(body, kd_json_str(kd_rows_get(rows, 0, KD_CP_TOTAL)),
                  q.start, json_array_size(list));
    /* No product: "", as WHMCS answers when it finds none. */
    if (!json_array_size(list)) {
        json_decref(list);
        json_object_set_new_nocheck(body, "products", json_string(""));
    }
    else {
        o = json_object();
        json_object_set_new_nocheck(o, "product", list);
        json_object_set_new_nocheck(body, "products", o);
    }
    return kd_reply(kr, HTTP_OK, body);
}

/**** getinvoices ****/

/* WHMCS's statuses but Draft, and its pseudo-status Overdue. */
static const char *const kd_invoice_statuses[] = {
    "Unpaid", "Paid", "Cancelled", "Refunded", "Collections",
    "Payment Pending", "Overdue", NULL
};
static const char *const kd_invoice_orders[] = {
    "id", "invoicenumber", "date", "duedate", "total", "status", NULL
};
static const char *const kd_directions[] = {"asc", "desc", NULL};

typedef struct {
    long long start, num;
    const char *status, *orderby, *order;
} kd_gi_query;

static int kd_gi_args(kd_req *kr, kd_gi_query *q)
{
    int rc;

    if ((rc = kd_opt_self(kr, "userid")) != KD_NEXT
        || (rc = kd_opt_word(kr, "status", kd_invoice_statuses, 1,
                             &q->status)) != KD_NEXT
        || (rc = kd_opt_word(kr, "orderby", kd_invoice_orders, 1,
                             &q->orderby)) != KD_NEXT
        || (rc = kd_opt_word(kr, "order", kd_directions, 1, &q->order))
           != KD_NEXT) {
        return rc;
    }
    q->orderby = *q->orderby ? q->orderby : "id";
    q->order = *q->order ? q->order : "asc";
    return kd_page_args(kr, &q->start, &q->num);
}

/* KD_GI_FILTER's arguments; @return how many. */
static int kd_gi_filter_args(const kd_gi_query *q, const char *today,
                             const char **args)
{
    args[0] = args[1] = args[2] = q->status;
    args[3] = today;
    return KD_GI_FILTER_NARGS;
}

/* The round trip, with the caller checked and allowed. */
static int kd_gi_load(kd_req *kr, const kd_gi_query *q, kd_rows **rowsp)
{
    apr_pool_t *p = kr->r->pool;
    const char *args[32], *cid = kd_id(p, kr->caller.client_id), *label;
    int by = strcmp(q->orderby, "id") != 0, rc, v8, n;
    kd_date d = kd_today(kr);
    char today[16];
    kd_rows *rows;

    if ((rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    kd_date_str(today, &d);
    n = kd_auth_bind(kr, v8, args);
    args[n++] = cid;                            /* the count */
    n += kd_gi_filter_args(q, today, args + n);
    args[n++] = cid;                            /* the page */
    n += kd_gi_filter_args(q, today, args + n);
    if (by) {
        args[n++] = q->orderby;
        args[n++] = q->orderby;
        args[n++] = q->orderby;
    }
    args[n++] = kd_id(p, q->num);
    args[n++] = kd_id(p, q->start);
    args[n++] = cid;                            /* the caller */
    label = apr_psprintf(p, "kd_invoices_%s_%s%d", by ? "by" : "id",
                         q->order, v8 ? 8 : 7);
    rc = kd_db_select(kr, label, &rows, n, args);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    *rowsp = rows;
    return KD_NEXT;
}

/* invoices.invoice in the page's order (orderby, then id). */
static json_t *kd_gi_invoices(apr_pool_t *p, const kd_rows *rows,
                              const kd_gi_query *q)
{
    int i, n = 0, nrows = kd_rows_count(rows);
    kd_sorted *s = apr_pcalloc(p, sizeof(*s) * (nrows + 1));
    const char *t;
    json_t *list = json_array(), *o;
    int col = !strcmp(q->orderby, "date") ? KD_IV_DATE
              : !strcmp(q->orderby, "duedate") ? KD_IV_DUEDATE
              : !strcmp(q->orderby, "status") ? KD_IV_STATUS
              : !strcmp(q->orderby, "invoicenumber") ? KD_IV_NUM
              : !strcmp(q->orderby, "total") ? KD_IV_AMOUNT : KD_IV_ID;

    for (i = 0; i < nrows; i++) {
        if (!kd_rows_get(rows, i, KD_IV_ID)) {
            continue;           /* the caller alone: an empty page */
        }
        t = kd_rows_get(rows, i, col);
        s[n].row = i;
        s[n].dir = strcmp(q->order, "desc") ? 1 : -1;
        s[n].kind = col == KD_IV_ID ? KD_SORT_ID
                    : col == KD_IV_AMOUNT ? KD_SORT_NUM
                    : col == KD_IV_STATUS || col == KD_IV_NUM
                      ? KD_SORT_CASE : KD_SORT_TEXT;
        s[n].num = kd_cents_of(t);
        s[n].text = t ? t : "";
        s[n].id = apr_atoi64(kd_rows_get(rows, i, KD_IV_ID));
        n++;
    }
    qsort(s, (size_t)n, sizeof(*s), kd_sorted_cmp);
    for (i = 0; i < n; i++) {
        o = json_object();
        kd_put_row(p, o, rows, s[i].row, kd_gi_invoice);
        json_array_append_new(list, o);
    }
    return list;
}

int kd_ep_getinvoices(kd_req *kr)
{
    kd_gi_query q;
    kd_rows *rows = NULL;
    json_t *body, *list, *o;
    const char *total;
    int rc;

    if ((rc = kd_gi_args(kr, &q)) != KD_NEXT
        || (rc = kd_gi_load(kr, &q, &rows)) != KD_NEXT) {
        return rc;
    }
    list = kd_gi_invoices(kr->r->pool, rows, &q);
    total = kd_rows_get(rows, 0, KD_IV_TOTAL);
    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    kd_put_paging(body, json_integer(total ? apr_atoi64(total) : 0),
                  q.start, json_array_size(list));
    /* None: WHMCS's empty PHP array, [] in JSON. */
    if (!json_array_size(list)) {
        json_object_set_new_nocheck(body, "invoices", list);
    }
    else {
        o = json_object();
        json_object_set_new_nocheck(o, "invoice", list);
        json_object_set_new_nocheck(body, "invoices", o);
    }
    return kd_reply(kr, HTTP_OK, body);
}

/**** getclientsdetails ****/

/* GetClientsDetails' client object, with only what WHMCS's client area
 * shows a customer about their own account: never the password,
 * security answer, card or bank data, admin notes or settings. */
static const kd_vcol kd_cd_client[] = {
    {"uuid", KD_CD_UUID, KD_V_TEXT},
    {"firstname", KD_CD_FIRSTNAME, KD_V_TEXT},
    {"lastname", KD_CD_LASTNAME, KD_V_TEXT},
    {NULL, 0, KD_V_TEXT}
};
static const kd_vcol kd_cd_address[] = {
    {"companyname", KD_CD_COMPANY, KD_V_TEXT},
    {"email", KD_CD_EMAIL, KD_V_TEXT},
    {"address1", KD_CD_ADDRESS1, KD_V_TEXT},
    {"address2", KD_CD_ADDRESS2, KD_V_TEXT},
    {"city", KD_CD_CITY, KD_V_TEXT}, {"state", KD_CD_STATE, KD_V_TEXT},
    {"postcode", KD_CD_POSTCODE, KD_V_TEXT},
    {"countrycode", KD_CD_COUNTRY, KD_V_TEXT},
    {"country", KD_CD_COUNTRY, KD_V_TEXT},
    {"phonenumber", KD_CD_PHONE, KD_V_TEXT},
    {"currency", KD_CD_CURRENCY, KD_V_INT},
    {"currency_code", KD_CD_CURCODE, KD_V_TEXT},
    {"defaultgateway", KD_CD_GATEWAY, KD_V_TEXT},
    {"groupid", KD_CD_GROUPID, KD_V_INT},
    {"status", KD_CD_STATUS, KD_V_TEXT},
    {"credit", KD_CD_CREDIT, KD_V_MONEY},
    {NULL, 0, KD_V_TEXT}
};

/* The client object from the round trip's row. */
static json_t *kd_cd_json(kd_req *kr, const kd_rows *rows)
{
    apr_pool_t *p = kr->r->pool;
    const char *first = kd_rows_get(rows, 0, KD_CD_FIRSTNAME);
    const char *last = kd_rows_get(rows, 0, KD_CD_LASTNAME);
    const char *te = kd_rows_get(rows, 0, KD_CD_TAXEXEMPT);
    json_t *c = json_object(), *id = json_integer(kr->caller.client_id);

    json_object_set_nocheck(c, "client_id", id);
    json_object_set_nocheck(c, "userid", id);
    json_object_set_new_nocheck(c, "id", id);
    kd_put_row(p, c, rows, 0, kd_cd_client);
    json_object_set_new_nocheck(c, "fullname", kd_json_str(
        apr_pstrcat(p, first ? first : "", " ", last ? last : "", NULL)));
    kd_put_row(p, c, rows, 0, kd_cd_address);
    json_object_set_new_nocheck(c, "taxexempt",
                                json_boolean(te && strcmp(te, "0")));
    json_object_set_new_nocheck(c, "language",
        kd_json_str(kd_rows_get(rows, 0, KD_CD_LANGUAGE)));
    return c;
}

int kd_ep_getclientsdetails(kd_req *kr)
{
    const char *args[4];
    kd_rows *rows;
    json_t *body;
    int rc, v8, n;

    if ((rc = kd_opt_self(kr, "clientid")) != KD_NEXT
        || (rc = kd_auth_v8(kr, &v8)) != KD_NEXT) {
        return rc;
    }
    n = kd_auth_bind(kr, v8, args);
    args[n++] = kd_id(kr->r->pool, kr->caller.client_id);
    rc = kd_db_select(kr, v8 ? "kd_clientsdetails8" : "kd_clientsdetails7",
                      &rows, n, args);
    if (rc != KD_NEXT || (rc = kd_auth_from_rows(kr, rows, 0)) != KD_NEXT) {
        return rc;
    }
    if (!kd_auth_allowed(kr)) {
        return kd_denied(kr);
    }
    body = json_object();
    json_object_set_new_nocheck(body, "result", json_string("success"));
    json_object_set_new_nocheck(body, "client", kd_cd_json(kr, rows));
    return kd_reply(kr, HTTP_OK, body);
}
