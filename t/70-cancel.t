# cancelrequest: one request per service even under parallel requests,
# WHMCS's row and log line, and CancelInvoiceOnCancellation.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use POSIX qw(strftime);

plan tests => 26, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my $today = strftime('%Y-%m-%d', localtime);
sub call { api("/api/v1/$_[0]", $_[1], token => $_[2] || $tok) }
sub order {
    my $b = json_of(call('addorder', { product => 'VPS 01',
                                       billingcycle => 'monthly' }));
    return ($b->{invoiceid}, $b->{productids});
}
my $denied = { result => 'error', messages => 'Permission denied!' };

setting(NoAutoApplyCredit => 'on');
setting(CancelInvoiceOnCancellation => 'on');

# --- Immediate, and the invoice that only billed this service ---------------------
my ($iid, $sid) = order();
my $aid = sql1('SELECT COALESCE(MAX(id), 0) + 1 FROM tblactivitylog');
my $res = call('cancelrequest', { serviceid => $sid, reason => 'Too slow',
                                  type => 'Immediate' });
is $res->content, qq({"result":"success","serviceid":"$sid","userid":"1"}),
    'Immediate: the seed\'s body';
is_deeply sql("SELECT relid, reason, type, DATE(date), DATE(created_at) "
              . "FROM tblcancelrequests WHERE relid = $sid"),
    [[$sid, 'Too slow', 'Immediate', $today, $today]], 'Immediate: the row';
is_deeply [map { $_->[0] } @{ sql("SELECT description FROM tblactivitylog "
                                  . "WHERE id >= $aid ORDER BY id") }],
    ["Automatic Cancellation Requested Immediately - Service ID: $sid"],
    'Immediate: WHMCS\'s activity line';
is_deeply sql("SELECT status, subtotal, total, DATE(date_cancelled) "
              . "FROM tblinvoices WHERE id = $iid"),
    [['Cancelled', '0.00', '0.00', $today]],
    'its only line removed: the invoice is Cancelled';
is sql1("SELECT COUNT(*) FROM tblinvoiceitems WHERE invoiceid = $iid"), 0,
    'its line is gone';
is sql1("SELECT domainstatus FROM tblhosting WHERE id = $sid"), 'Pending',
    'the service itself is left to WHMCS\'s cron';

# --- an invoice with another line stays, re-totalled ----------------------------------
($iid, $sid) = order();
sql("INSERT INTO tblinvoiceitems (invoiceid, userid, type, relid, "
    . "description, amount, taxed, duedate, paymentmethod, notes) VALUES "
    . "($iid, 1, '', 0, 'Setup help', 25000.00, 0, CURDATE(), "
    . "'banktransfer', '')");
sql("UPDATE tblinvoices SET subtotal = 325000.00, total = 325000.00 "
    . "WHERE id = $iid");
$res = call('cancelrequest', { serviceid => $sid, reason => 'Moving' });
is $res->code, 200, 'End of Billing Period (default): 200';
is sql1("SELECT type FROM tblcancelrequests WHERE relid = $sid"),
    'End of Billing Period', 'the default type';
like sql1("SELECT description FROM tblactivitylog ORDER BY id DESC LIMIT 1"),
    qr/^Automatic Cancellation Requested for End of Current Cycle - Service ID: $sid$/,
    'End of Billing Period: WHMCS\'s activity line';
is_deeply sql("SELECT status, subtotal, total FROM tblinvoices "
              . "WHERE id = $iid"), [['Unpaid', '25000.00', '25000.00']],
    'another line left: Unpaid, re-totalled';
is_deeply sql("SELECT description FROM tblinvoiceitems WHERE invoiceid = $iid"),
    [['Setup help']], 'only the service\'s line went';

# --- CancelInvoiceOnCancellation off -------------------------------------------------------
setting(CancelInvoiceOnCancellation => '');
($iid, $sid) = order();
call('cancelrequest', { serviceid => $sid, reason => 'x' });
is_deeply sql("SELECT status, total FROM tblinvoices WHERE id = $iid"),
    [['Unpaid', '300000.00']], 'setting off: the invoice is untouched';
setting(CancelInvoiceOnCancellation => 'on');

# --- refusals --------------------------------------------------------------------------------
my $c0 = counts();
$res = call('cancelrequest', { serviceid => $sid, reason => 'again' });
is_deeply [$res->code, json_of($res)],
    [409, { result => 'error',
            message => 'Existing Cancellation Request Exists' }],
    'a second request: 409';
is_deeply counts(), $c0, 'a second request: nothing written';
for my $case ([{ serviceid => 2, reason => 'x' }, 403, $denied],
              [{ serviceid => 99999, reason => 'x' }, 403, $denied],
              [{ serviceid => 3 }, 400,
               { result => 'error', message => 'The reason field is required.' }],
              [{ serviceid => 3, reason => 'x', type => 'Later' }, 400,
               { result => 'error', message => 'Invalid type: valid values '
                 . 'are Immediate,End of Billing Period' }]) {
    my ($f, $code, $want) = @$case;
    $c0 = counts();
    $res = call('cancelrequest', $f);
    my $what = join ' ', map { "$_=$f->{$_}" } sort keys %$f;
    is_deeply [$res->code, json_of($res)], [$code, $want], "refused: $what";
    is_deeply counts(), $c0, "refused, nothing written: $what";
}
SKIP: {
    skip 'WHMCS 8 users only', 1 unless $v8;
    $res = call('cancelrequest', { serviceid => 3, reason => 'x' },
                mint(sub => 1, uid => 7));
    is_deeply [$res->code, json_of($res)], [403, $denied],
        'a user without "manageproducts": Permission denied!';
}

# --- ten at once: one request -------------------------------------------------------------------
($iid, $sid) = order();
my @r = parallel(10, sub {
    call('cancelrequest', { serviceid => $sid, reason => "try $_[0]" })
});
is scalar(grep { $_->[0] == 200 } @r), 1, 'ten at once: one succeeds';
is scalar(grep { $_->[0] == 409 } @r), 9, 'ten at once: nine get 409';
is sql1("SELECT COUNT(*) FROM tblcancelrequests WHERE relid = $sid"), 1,
    'ten at once: one row';
