# applycredit, getinvoice and getinvoiceproduct: the seed's flow, exact
# money, WHMCS's payment side effects, and credit that cannot be spent
# twice however many requests arrive at once.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use Encode ();
use POSIX qw(strftime mktime);
use JSON::PP ();

plan tests => 115, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my @lt = localtime;
my $today = strftime('%Y-%m-%d', @lt);
my ($d, $m, $y) = @lt[3, 4, 5];
sub ymd { strftime('%Y-%m-%d', localtime(mktime(0, 0, 12, @_))) }
sub credit_of { sql1("SELECT credit FROM tblclients WHERE id = $_[0]") }
sub set_credit { sql("UPDATE tblclients SET credit = $_[1] WHERE id = $_[0]") }
sub call { api("/api/v1/$_[0]", $_[1], token => $_[2] || $tok) }
sub order {
    my $ob = json_of(call('addorder', { product => 'VPS 01',
                                       billingcycle => 'monthly', @_ }));
    die "order failed" unless $ob->{result} eq 'success';
    return ($ob->{invoiceid}, $ob->{productids});
}
my $denied = { result => 'error', messages => 'Permission denied!' };

setting(NoAutoApplyCredit => 'on');

# --- the seed's flow ----------------------------------------------------------------
set_credit(1, '450000.00');
my ($iid, $sid) = order(os => 'centos6', extraIp => 3);
my $item = sql1("SELECT id FROM tblinvoiceitems WHERE invoiceid = $iid");
my $desc = sql1("SELECT description FROM tblinvoiceitems WHERE id = $item");
my $res = call('getinvoice', { invoiceid => $iid });
is_deeply json_of($res), {
    result => 'success', invoiceid => "$iid", invoicenum => '',
    userid => '1', date => $today, duedate => $today,
    datepaid => '0000-00-00 00:00:00',
    lastcaptureattempt => '0000-00-00 00:00:00', subtotal => '450000.00',
    credit => '0.00', tax => '0.00', tax2 => '0.00', total => '450000.00',
    balance => '450000.00', taxrate => '0.00', taxrate2 => '0.00',
    status => 'Unpaid', paymentmethod => 'banktransfer', notes => '',
    ccgateway => JSON::PP::false,
    items => { item => [{ id => "$item", type => 'Hosting',
                          relid => "$sid", description => $desc,
                          amount => '450000.00', taxed => '0' }] },
    transactions => '',
}, 'getinvoice: the seed\'s shape, every value';
like $res->content, qr/"ccgateway":false/, 'getinvoice: ccgateway is false';

# A card gateway (type CC) set up after the processes read the gateway
# list (kd_whmcs.c): seen at once, names compared without case as
# MariaDB did.
api('/api/v1/getinvoice', { invoiceid => $iid }, token => mint(sub => 1))
    for 1 .. 8;
select undef, undef, undef, 1.2;
sql("INSERT INTO tblpaymentgateways (gateway, setting, value, `order`) "
    . "VALUES ('kdcardpay', 'name', 'Card', 9), "
    . "('kdcardpay', 'type', 'CC', 9)");
sql("UPDATE tblinvoices SET paymentmethod = 'KDCardPay' WHERE id = $iid");
my @cc = map {
    json_of(call('getinvoice', { invoiceid => $iid }))->{ccgateway} ? 1 : 0
} 1 .. 8;
is_deeply \@cc, [(1) x 8], 'getinvoice: a card gateway set up since: true';
sql("UPDATE tblinvoices SET paymentmethod = 'banktransfer' WHERE id = $iid");
sql("DELETE FROM tblpaymentgateways WHERE gateway = 'kdcardpay'");
ok !json_of(call('getinvoice', { invoiceid => $iid }))->{ccgateway},
    'getinvoice: bank transfer again: false';

my $aid = sql1('SELECT COALESCE(MAX(id), 0) + 1 FROM tblactivitylog');
$res = call('applycredit', { invoiceid => $iid });
is $res->code, 200, 'applycredit: 200';
is $res->content, qq({"result":"success","invoiceid":"$iid",)
    . qq("amount":450000,"invoicepaid":"true"}),
    'applycredit: the seed\'s body, exactly (amount a number)';
my $inv = sql("SELECT credit, total, status, DATE(datepaid), invoicenum "
              . "FROM tblinvoices WHERE id = $iid")->[0];
is_deeply $inv, ['450000.00', '0.00', 'Paid', $today, ''],
    'applycredit: invoice credit, total 0, Paid today';
is credit_of(1), '0.00', 'applycredit: the client\'s credit is spent';
is_deeply sql("SELECT clientid, admin_id, date, description, amount, relid "
              . "FROM tblcredit WHERE description = "
              . "'Credit Applied to Invoice #$iid'"),
    [[1, 0, $today, "Credit Applied to Invoice #$iid", '-450000.00', 0]],
    'applycredit: a negative tblcredit line';
is_deeply [map { $_->[0] } @{ sql("SELECT description FROM tblactivitylog "
                                  . "WHERE id >= $aid ORDER BY id") }],
    ["Credit Applied - Amount: 450000.00 - Invoice ID: $iid",
     "Invoice Marked Paid - Invoice ID: $iid"],
    'applycredit: WHMCS\'s activity lines';
is_deeply sql("SELECT nextduedate, nextinvoicedate FROM tblhosting "
              . "WHERE id = $sid"), [[ymd($d, $m + 1, $y), ymd($d, $m + 1, $y)]],
    'paid: the service\'s next due and invoice dates move one month on';

$res = call('getinvoiceproduct', { serviceid => $sid });
my $list = json_of($res);
like delete $list->{data}[0]{datepaid}, qr/^\Q$today\E \d\d:\d\d:\d\d$/,
    'getinvoiceproduct: datepaid is now';
is_deeply $list, { result => 'true', data => [{
    id => $iid, userid => '1', invoicenum => '', date => $today,
    duedate => $today, subtotal => '450000.00', credit => '450000.00',
    tax => '0.00', tax2 => '0.00', total => '0.00', taxrate => '0.00',
    taxrate2 => '0.00', status => 'Paid', paymentmethod => 'banktransfer',
    notes => '' }] }, 'getinvoiceproduct: the seed\'s shape, Paid';
like $res->content, qr/"data":\[\{"id":$iid,"userid":"1",/,
    'getinvoiceproduct: id a number, userid a string';
is_deeply json_of(call('getinvoiceproduct', { serviceid => $sid,
                                              status => 'Unpaid' })),
    { result => 'true', data => [] }, 'getinvoiceproduct: status Unpaid: none';
is scalar @{ json_of(call('getinvoiceproduct', { serviceid => $sid,
                                                 status => 'Paid' }))->{data} },
    1, 'getinvoiceproduct: status Paid: one';

$res = call('cancelrequest', { serviceid => $sid,
                               reason => 'Customer Request' });
is $res->content, qq({"result":"success","serviceid":"$sid","userid":"1"}),
    'cancelrequest: the seed\'s body';
is_deeply sql("SELECT relid, reason, type, DATE(date) FROM tblcancelrequests "
              . "WHERE relid = $sid"),
    [[$sid, 'Customer Request', 'End of Billing Period', $today]],
    'cancelrequest: the row';

# --- getinvoice on the fixtures: payments, transactions, ownership --------------------
$res = call('getinvoice', { invoiceid => 3 });
my $gi = json_of($res);
is_deeply [@$gi{qw(status total balance)}], ['Paid', '3000000.00', '0.00'],
    'getinvoice: balance = total - payments';
is_deeply $gi->{transactions}, { transaction => [{
    id => '1', userid => '1', currency => '1', gateway => 'banktransfer',
    date => '2016-05-01 10:00:00', description => 'Invoice Payment',
    amountin => '3000000.00', fees => '0.00', amountout => '0.00',
    rate => '1.00000', transid => 'TX-0001', invoiceid => '3',
    refundid => '0' }] }, 'getinvoice: the payments as transactions';
for my $i (2, 99999) {
    $res = call('getinvoice', { invoiceid => $i });
    is_deeply [$res->code, json_of($res)], [403, $denied],
        "getinvoice $i (not ours): Permission denied!";
}
$res = call('getinvoice', {});
is $res->code, 400, 'getinvoice: invoiceid required';

# --- getinvoiceproduct: newest first, ownership, bad status ------------------------------
sql("INSERT INTO tblinvoices (userid, invoicenum, date, duedate, subtotal, "
    . "credit, tax, tax2, total, status, paymentmethod, notes) VALUES (1, '',"
    . " '2030-01-01', '2030-01-01', 10.00, 0, 0, 0, 10.00, 'Unpaid', "
    . "'banktransfer', '')");
my $renewal = sql1('SELECT MAX(id) FROM tblinvoices');
sql("INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, "
    . "description, amount, taxed, duedate, paymentmethod, notes) VALUES "
    . "($renewal, 1, 'Hosting', $sid, 'renewal', 10.00, 0, '2030-01-01', "
    . "'banktransfer', '')");
is_deeply [map { $_->{id} } @{ json_of(call('getinvoiceproduct',
                                            { serviceid => $sid }))->{data} }],
    [$renewal, $iid], 'getinvoiceproduct: newest first';
sql("INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, "
    . "description, amount, taxed, duedate, paymentmethod, notes) VALUES "
    . "($renewal, 1, 'Hosting', $sid, 'second line', 5.00, 0, '2030-01-01', "
    . "'banktransfer', '')");
is_deeply [map { $_->{id} } @{ json_of(call('getinvoiceproduct',
                                            { serviceid => $sid }))->{data} }],
    [$renewal, $iid], 'getinvoiceproduct: an invoice with two lines, once';
is_deeply [map { $_->{description} } @{ json_of(call('getinvoice',
        { invoiceid => $renewal }))->{items}{item} }],
    ['renewal', 'second line'], 'getinvoice: items in id order';
for my $s (2, 99999) {
    $res = call('getinvoiceproduct', { serviceid => $s });
    is_deeply [$res->code, json_of($res)],
        [403, { result => 'error',
                messages => 'Product not exists or Permission denied!' }],
        "getinvoiceproduct $s (not ours): refused";
}
$res = call('getinvoiceproduct', { serviceid => $sid, status => 'paid' });
is_deeply [$res->code, json_of($res)],
    [400, { result => 'error', message => 'Invalid status: valid values are '
            . 'Unpaid,Paid,Cancelled,Refunded,Collections,Draft,'
            . 'Payment Pending' }], 'getinvoiceproduct: bad status: 400';
is_deeply json_of(call('getinvoiceproduct', { serviceid => 3 }))->{data}[0]{id},
    3, 'getinvoiceproduct: a fixture service and its invoice';

# --- part of an invoice -----------------------------------------------------------------
($iid, $sid) = order();
set_credit(1, '100000.00');
$res = call('applycredit', { invoiceid => $iid, amount => '40000.50' });
is $res->content, qq({"result":"success","invoiceid":"$iid",)
    . qq("amount":40000.5,"invoicepaid":"false"}),
    'partial: amount 40000.5, not paid';
is_deeply sql("SELECT credit, total, status FROM tblinvoices WHERE id = $iid"),
    [['40000.50', '259999.50', 'Unpaid']], 'partial: exact to the cent';
is credit_of(1), '59999.50', 'partial: credit left';
is sql1("SELECT nextduedate FROM tblhosting WHERE id = $sid"), $today,
    'partial: the service is not moved on';
is json_of(call('getinvoice', { invoiceid => $iid }))->{balance},
    '259999.50', 'partial: getinvoice shows the balance';

# --- refusals, and nothing written -------------------------------------------------------
my @refusals = (
    (map { [{ invoiceid => $iid, amount => $_ }, 400,
            { result => 'error',
              message => 'Credit Amount to apply must be greater than zero' }]
     } ('0', '-5', '0.00', 'abc', '1e3', '1.005', ' 5')),
    [{ invoiceid => $iid, amount => '60000' }, 409,
     { result => 'error', message => 'Amount exceeds customer credit balance' }],
    [{ invoiceid => 3 }, 409,
     { result => 'error', message => 'Invoice Not in Unpaid Status' }],
    [{ invoiceid => 2 }, 403, $denied],
    [{ invoiceid => 99999 }, 403, $denied],
);
for my $r (@refusals) {
    my ($f, $code, $want) = @$r;
    my $c0 = counts();
    $res = call('applycredit', $f);
    my $what = join ' ', map { "$_=$f->{$_}" } sort keys %$f;
    is_deeply [$res->code, json_of($res)], [$code, $want], "refused: $what";
    is_deeply counts(), $c0, "refused, nothing written: $what";
}
set_credit(1, '1000000.00');
$res = call('applycredit', { invoiceid => $iid, amount => '300000' });
is_deeply [$res->code, json_of($res)],
    [400, { result => 'error', message => 'Amount Exceeds Invoice Balance' }],
    'more than the balance: 400';
set_credit(1, '0.00');
$res = call('applycredit', { invoiceid => $iid });
is_deeply [$res->code, json_of($res)],
    [409, { result => 'error',
            message => 'Amount exceeds customer credit balance' }],
    'no credit at all: 409';

# --- without amount: the whole balance, or nothing (contract section 5) ---------
# Every row a refused call could touch, whole, to compare before and after.
sub rows_of {
    my ($i, $s) = @_;
    return {
        counts   => counts(),
        client   => sql('SELECT * FROM tblclients WHERE id = 1'),
        invoice  => sql("SELECT * FROM tblinvoices WHERE id = $i"),
        items    => sql("SELECT * FROM tblinvoiceitems WHERE invoiceid = $i"),
        service  => sql("SELECT * FROM tblhosting WHERE id = $s"),
        credit   => sql('SELECT * FROM tblcredit ORDER BY id'),
        accounts => sql('SELECT * FROM tblaccounts ORDER BY id'),
        activity => sql('SELECT * FROM tblactivitylog ORDER BY id DESC LIMIT 5'),
        settings => sql("SELECT * FROM tblconfiguration WHERE setting LIKE "
                        . "'SequentialInvoice%' ORDER BY setting"),
    };
}
my $short = '{"result":"error","message":"Amount exceeds customer credit '
          . 'balance"}';
# Each on an invoice of its own: one spent in part would hide the next.
for my $amount (undef, 'full', '') {
    ($iid, $sid) = order();
    set_credit(1, '299999.99');
    my $f = { invoiceid => $iid, defined $amount ? (amount => $amount) : () };
    my $what = defined $amount ? "amount '$amount'" : 'no amount';
    is sql1("SELECT total FROM tblinvoices WHERE id = $iid"), '300000.00',
        "$what: an invoice of 300000.00";
    my $rows0 = rows_of($iid, $sid);
    $res = call('applycredit', $f);
    is_deeply [$res->code, $res->content], [409, $short],
        "credit one cent short, $what: 409, exactly";
    is_deeply rows_of($iid, $sid), $rows0,
        "credit one cent short, $what: no row changed";
}
# Part payment is still there, when asked for.
$res = call('applycredit', { invoiceid => $iid, amount => '299999.99' });
is_deeply [$res->code, $res->content],
    [200, qq({"result":"success","invoiceid":"$iid",)
          . qq("amount":299999.99,"invoicepaid":"false"})],
    'explicit amount 299999.99: applied, not paid';
is_deeply sql("SELECT credit, total, status FROM tblinvoices "
              . "WHERE id = $iid"), [['299999.99', '0.01', 'Unpaid']],
    'explicit amount: invoice credit and total to the cent, still Unpaid';
is credit_of(1), '0.00', 'explicit amount: the credit is spent';
$res = call('applycredit', { invoiceid => $iid });
is_deeply [$res->code, $res->content], [409, $short],
    'no credit left for the last cent: 409';

# Credit exactly the balance: paid, to the cent, every row WHMCS writes.
my ($c_max, $a_max, $l_max) = map { sql1("SELECT COALESCE(MAX(id), 0) "
    . "FROM $_") } qw(tblcredit tblaccounts tblactivitylog);
set_credit(1, '0.01');
$res = call('applycredit', { invoiceid => $iid });
is_deeply [$res->code, $res->content],
    [200, qq({"result":"success","invoiceid":"$iid",)
          . qq("amount":0.01,"invoicepaid":"true"})],
    'credit = the balance (0.01): paid, exactly';
is_deeply sql("SELECT credit, total, status, DATE(datepaid) FROM tblinvoices "
              . "WHERE id = $iid"), [['300000.00', '0.00', 'Paid', $today]],
    'credit = the balance: invoice credit 300000.00, total 0.00, Paid';
is credit_of(1), '0.00', 'credit = the balance: credit 0.00';
is_deeply sql("SELECT clientid, admin_id, date, description, amount, relid "
              . "FROM tblcredit WHERE id > $c_max ORDER BY id"),
    [[1, 0, $today, "Credit Applied to Invoice #$iid", '-0.01', 0]],
    'credit = the balance: one tblcredit row of -0.01';
is_deeply sql("SELECT id FROM tblaccounts WHERE id > $a_max"), [],
    'credit = the balance: no tblaccounts row (credit is not a payment)';
is_deeply sql("SELECT DATE(date), description, user, userid, ipaddr "
              . "FROM tblactivitylog WHERE id > $l_max ORDER BY id"),
    [[$today, "Credit Applied - Amount: 0.01 - Invoice ID: $iid", 'Client',
      1, '127.0.0.1'],
     [$today, "Invoice Marked Paid - Invoice ID: $iid", 'Client', 1,
      '127.0.0.1']],
    'credit = the balance: the two activity lines';
is sql1("SELECT nextduedate FROM tblhosting WHERE id = $sid"),
    ymd($d, $m + 1, $y), 'credit = the balance: the service moves on';

# The whole balance in one call, credit to spare.
($iid) = order();
set_credit(1, '300000.01');
$res = call('applycredit', { invoiceid => $iid });
is_deeply [$res->code, $res->content],
    [200, qq({"result":"success","invoiceid":"$iid",)
          . qq("amount":300000,"invoicepaid":"true"})],
    'credit above the balance: the whole balance, paid';
is credit_of(1), '0.01', 'credit above the balance: one cent left';

# --- 20 at once on one invoice: one pays it, credit spent once ------------------------------
($iid) = order();
set_credit(1, '1000000.00');
my @r = parallel(20, sub { call('applycredit', { invoiceid => $iid }) });
my @ok = grep { $_->[0] == 200 } @r;
is scalar @ok, 1, '20 at once: exactly one succeeds';
is_deeply [sort { $a <=> $b } map { $_->[0] } @r], [200, (409) x 19],
    '20 at once: the others are 409';
is_deeply [grep { $_->[0] == 409 && $_->[1] !~ /Invoice Not in Unpaid Status/ }
           @r], [], '20 at once: ... Invoice Not in Unpaid Status';
is credit_of(1), '700000.00', '20 at once: credit spent once';
is sql1("SELECT COUNT(*) FROM tblcredit WHERE description = "
        . "'Credit Applied to Invoice #$iid'"), 1, '20 at once: one tblcredit line';

# 20 at once with small amounts: exactly as many as the credit pays
($iid) = order();
set_credit(1, '5000.00');
@r = parallel(20, sub { call('applycredit', { invoiceid => $iid,
                                               amount => '1000' }) });
is scalar(grep { $_->[0] == 200 } @r), 5, 'credit for 5 of 20: 5 succeed';
is scalar(grep { $_->[0] == 409 } @r), 15, 'credit for 5 of 20: 15 refused';
is credit_of(1), '0.00', 'credit for 5 of 20: never below zero';
is sql1("SELECT credit FROM tblinvoices WHERE id = $iid"), '5000.00',
    'credit for 5 of 20: the invoice got exactly 5000';

# two invoices, credit for one
my ($i1) = order();
my ($i2) = order();
set_credit(1, '300000.00');
@r = parallel(2, sub { call('applycredit', { invoiceid => ($i1, $i2)[$_[0]] }) });
is_deeply [sort map { $_->[0] } @r], [200, 409],
    'two invoices, credit for one: one paid, one refused';
is_deeply [sort map { $_->[0] } @{ sql("SELECT status FROM tblinvoices "
                                        . "WHERE id IN ($i1, $i2)") }],
    ['Paid', 'Unpaid'], 'two invoices: statuses';
is credit_of(1), '0.00', 'two invoices: credit 0, not negative';

# --- sequential invoice numbers are given when paid ------------------------------------------
setting(SequentialInvoiceNumbering => 'on');
setting(SequentialInvoiceNumberFormat => 'INV-{NUMBER}');
setting(SequentialInvoiceNumberValue => '7');
($iid) = order();
set_credit(1, '300000.00');
call('applycredit', { invoiceid => $iid });
is sql1("SELECT invoicenum FROM tblinvoices WHERE id = $iid"), 'INV-7',
    'sequential numbering: INV-7 on payment';
is sql1("SELECT value FROM tblconfiguration WHERE setting = "
        . "'SequentialInvoiceNumberValue'"), '8', 'and the counter moves on';
setting(SequentialInvoiceNumbering => '');

# --- WHMCS 8 users act within their permissions ----------------------------------------------
SKIP: {
    skip 'WHMCS 8 users only', 3 unless $v8;
    my $u7 = mint(sub => 1, uid => 7);
    is call('getinvoice', { invoiceid => $iid }, $u7)->code, 200,
        'user with "invoices": reads invoices';
    sql("UPDATE tblusers_clients SET permissions = 'products' "
        . "WHERE auth_user_id = 7 AND client_id = 1");
    $res = call('getinvoice', { invoiceid => $iid }, $u7);
    is_deeply [$res->code, json_of($res)], [403, $denied],
        'user without "invoices": Permission denied!';
    $res = call('applycredit', { invoiceid => $iid }, $u7);
    is $res->code, 403, 'user without "invoices": cannot pay';
    sql("UPDATE tblusers_clients SET permissions = "
        . "'profile,contacts,products,invoices' "
        . "WHERE auth_user_id = 7 AND client_id = 1");
}

# --- Draft invoices: WHMCS shows them to admins only, until published ---
# Answered as an invoice that does not exist, left out of the service's
# list, and no credit goes to one.
{
    my ($draft, $dsid) = order();
    sql("UPDATE tblinvoices SET status = 'Draft' WHERE id = $draft");
    sql("INSERT INTO tblinvoices (userid, invoicenum, date, duedate, "
        . "subtotal, credit, tax, tax2, total, status, paymentmethod, notes)"
        . " VALUES (1, '', '2031-01-01', '2031-01-01', 10.00, 0, 0, 0, "
        . "10.00, 'Unpaid', 'banktransfer', '')");
    my $pub = sql1('SELECT MAX(id) FROM tblinvoices');
    sql("INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, "
        . "description, amount, taxed, duedate, paymentmethod, notes) VALUES "
        . "($pub, 1, 'Hosting', $dsid, 'published', 10.00, 0, '2031-01-01', "
        . "'banktransfer', '')");
    set_credit(1, '1000000.00');
    my $gone = '{"result":"error","messages":"Permission denied!"}';
    my $rows0 = rows_of($draft, $dsid);

    $res = call('getinvoice', { invoiceid => $draft });
    is_deeply [$res->code, $res->content], [403, $gone],
        'getinvoice of a Draft: 403 Permission denied!, exactly';
    my $missing = call('getinvoice', { invoiceid => 99999 });
    is_deeply [$res->code, $res->content], [$missing->code, $missing->content],
        'getinvoice of a Draft: the same answer as a missing invoice';
    is_deeply [map { $_->{id} } @{ json_of(call('getinvoiceproduct',
                                    { serviceid => $dsid }))->{data} }],
        [$pub], 'getinvoiceproduct: the Draft left out, the published one '
        . 'listed';
    $res = call('getinvoiceproduct', { serviceid => $dsid,
                                       status => 'Draft' });
    is_deeply [$res->code, $res->content],
        [200, '{"result":"true","data":[]}'],
        'getinvoiceproduct status=Draft: none';
    $missing = call('applycredit', { invoiceid => 99999 });
    for my $f ({}, { amount => '1.00' }) {
        $res = call('applycredit', { invoiceid => $draft, %$f });
        is_deeply [$res->code, $res->content, $missing->code,
                   $missing->content], [403, $gone, 403, $gone],
            'applycredit on a Draft' . (%$f ? ' (amount)' : '')
            . ': 403, exactly as a missing invoice';
    }
    is_deeply rows_of($draft, $dsid), $rows0,
        'Draft: nothing written by any of them';

    sql("UPDATE tblinvoices SET status = 'Unpaid' WHERE id = $draft");
    is call('getinvoice', { invoiceid => $draft })->code, 200,
        'published: getinvoice shows it';
    is_deeply [sort { $a <=> $b } map { $_->{id} } @{ json_of(call(
        'getinvoiceproduct', { serviceid => $dsid }))->{data} }],
        [sort { $a <=> $b } $draft, $pub], 'published: listed for the service';
    is call('applycredit', { invoiceid => $draft })->code, 200,
        'published: credit applies';
}

# A reply far over the first 4 KB the encoder sets aside (kd_reply.c):
# three 5,000-character lines, one with non-ASCII text, come back whole.
{
    my ($big) = order();
    my $long = ('x' x 4990) . "\x{e9}t\x{e9} \x{2713}";
    my $qlong = $long =~ s/'/''/gr;
    for my $n (1 .. 3) {
        sql(Encode::encode_utf8("INSERT INTO tblinvoiceitems (invoiceid, "
            . "userid, type, relid, description, amount, taxed, "
            . "paymentmethod, notes) VALUES ($big, 1, '', 0, "
            . "CONCAT('$n ', '$qlong'), 0.00, 0, 'banktransfer', '')"));
    }
    my @d = map { $_->{description} } @{ json_of(call('getinvoice',
        { invoiceid => $big }))->{items}{item} };
    is_deeply [@d[1 .. 3]], [map { "$_ $long" } 1 .. 3],
        'getinvoice: a 15 KB reply, every line whole';
}

# Several items and several payments: getinvoice reads them in one join
# (each item once per payment), each comes back once, in id order, and
# the balance counts every payment once.  A join that reaches 16 rows
# (4 x 4, 9 x 9; 5 x 3 stays under) reads them again on their own
# (ep_invoice.c, KD_GI_ROWS): the same answer.
{
    my @made;
    my $invoice = sub {
        my ($nitems, $npays) = @_;
        sql("INSERT INTO tblinvoices (userid, invoicenum, date, duedate, "
            . "subtotal, credit, tax, tax2, total, status, paymentmethod, "
            . "notes) VALUES (1, 'M-7', '2030-02-01', '2030-02-15', 30.00, "
            . "0, 0, 0, 30.00, 'Unpaid', 'banktransfer', 'several')");
        my $i = sql1('SELECT MAX(id) FROM tblinvoices');
        push @made, $i;
        for my $n (1 .. $nitems) {
            sql("INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid,"
                . " description, amount, taxed, duedate, paymentmethod, "
                . "notes) VALUES ($i, 1, 'Hosting', $n, 'line $n', "
                . "$n.25, $n % 2, '2030-02-01', 'banktransfer', '')");
        }
        for my $n (1 .. $npays) {
            sql("INSERT INTO tblaccounts (userid, currency, gateway, date, "
                . "description, amountin, fees, amountout, rate, transid, "
                . "invoiceid, refundid) VALUES (1, 1, 'banktransfer', "
                . "'2030-02-0$n 10:00:00', 'Invoice Payment', '$n.10', "
                . "'0.05', " . ($n == 2 ? "'1.00'" : "'0.00'") . ", "
                . "'1.00000', 'TX-$i-$n', $i, 0)");
        }
        my $items = sql("SELECT id FROM tblinvoiceitems WHERE invoiceid = $i"
                        . " ORDER BY id");
        my $pays = sql("SELECT id FROM tblaccounts WHERE invoiceid = $i "
                       . "ORDER BY id");
        return ($i, [map { $_->[0] } @$items], [map { $_->[0] } @$pays]);
    };
    my $body = sub {
        my ($i, $items, $pays, $balance) = @_;
        my $n = 0;
        my $it = join ',', map { $n++; qq({"id":"$_","type":"Hosting",)
            . qq("relid":"$n","description":"line $n","amount":"$n.25",)
            . qq("taxed":") . ($n % 2) . '"}' } @$items;
        $n = 0;
        my $tx = join ',', map { $n++; qq({"id":"$_","userid":"1",)
            . qq("currency":"1","gateway":"banktransfer",)
            . qq("date":"2030-02-0$n 10:00:00",)
            . qq("description":"Invoice Payment","amountin":"$n.10",)
            . qq("fees":"0.05","amountout":")
            . ($n == 2 ? '1.00' : '0.00') . qq(","rate":"1.00000",)
            . qq("transid":"TX-$i-$n","invoiceid":"$i","refundid":"0"}) }
            @$pays;
        return qq({"result":"success","invoiceid":"$i","invoicenum":"M-7",)
            . qq("userid":"1","date":"2030-02-01","duedate":"2030-02-15",)
            . qq("datepaid":"0000-00-00 00:00:00",)
            . qq("lastcaptureattempt":"0000-00-00 00:00:00",)
            . qq("subtotal":"30.00","credit":"0.00","tax":"0.00",)
            . qq("tax2":"0.00","total":"30.00","balance":"$balance",)
            . qq("taxrate":"0.00","taxrate2":"0.00","status":"Unpaid",)
            . qq("paymentmethod":"banktransfer","notes":"several",)
            . qq("ccgateway":false,"items":{"item":[$it]},"transactions":)
            . (@$pays ? qq({"transaction":[$tx]}}) : '""}');
    };
    # Balances: 30.00 - (1.10 + 2.10 - 1.00 + 3.10) = 24.70; with 4.10
    # too: 20.60; 9 payments: 30.00 - (1.10 + ... + 9.10 - 1.00) = -14.90.
    for my $case ([3, 3, '24.70'], [5, 3, '24.70'], [4, 4, '20.60'],
                  [9, 9, '-14.90'], [2, 0, '30.00'], [0, 3, '24.70']) {
        my ($ni, $np, $balance) = @$case;
        my ($i, $items, $pays) = $invoice->($ni, $np);
        $res = call('getinvoice', { invoiceid => $i });
        is $res->content, $body->($i, $items, $pays, $balance),
            "getinvoice: $ni items and $np payments, each once, exactly";
    }
    sql("DELETE FROM tblaccounts WHERE invoiceid IN (@{[join ',', @made]})");
    sql("DELETE FROM tblinvoiceitems WHERE invoiceid IN "
        . "(@{[join ',', @made]})");
    sql("DELETE FROM tblinvoices WHERE id IN (@{[join ',', @made]})");
}
