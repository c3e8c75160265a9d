# POST /api/v1/addorder: the rows WHMCS's own AddOrder leaves, priced in
# exact decimals, all or nothing, and safe to run twice at once.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use POSIX qw(strftime mktime);
use JSON::PP ();

plan tests => 90, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my @lt = localtime;
my $today = strftime('%Y-%m-%d', @lt);
sub dmy { strftime('%d/%m/%Y', localtime(mktime(0, 0, 12, @_))) }
sub ymd { strftime('%Y-%m-%d', localtime(mktime(0, 0, 12, @_))) }
my ($d, $m, $y) = @lt[3, 4, 5];

sub order {
    my ($fields, %o) = @_;
    return api('/api/v1/addorder', $fields, token => $o{token} || $tok,
               $o{ct} ? (ct => $o{ct}) : ());
}
sub next_id { (sql1("SELECT COALESCE(MAX(id), 0) FROM $_[0]") || 0) + 1 }

setting(NoAutoApplyCredit => 'on');
is sql1('SELECT @@GLOBAL.sql_mode') =~ /STRICT_TRANS_TABLES/ ? 1 : 0, 1,
    'the server runs in strict mode (its default)';

# --- the seed's example -----------------------------------------------------------
my ($oid, $sid, $iid, $aid) = map { next_id($_) }
    qw(tblorders tblhosting tblinvoices tblactivitylog);
my $res = order({ product => 'VPS 01', billingcycle => 'monthly',
                  os => 'centos6', extraIp => 3 });
is $res->code, 200, 'seed example: 200';
is $res->content, qq({"result":"success","orderid":$oid,"productids":"$sid",)
    . qq("addonids":"","domainids":"","invoiceid":$iid}),
    'seed example: the seed\'s body, exactly';

my $o = sql("SELECT ordernum, userid, contactid, requestor_id, "
    . "DATE(date) = CURDATE(), nameservers, transfersecret, renewals, "
    . "promocode, promotype, promovalue, orderdata, amount, paymentmethod, "
    . "invoiceid, status, ipaddress, fraudmodule, fraudoutput, notes "
    . "FROM tblorders WHERE id = $oid")->[0];
like shift(@$o), qr/^[1-9]\d{9}$/, 'tblorders: a ten-digit order number';
is_deeply $o, [1, 0, $v8 ? 1 : 0, 1, ('') x 7, '450000.00', 'banktransfer',
               $iid, 'Pending', '127.0.0.1', '', '', ''],
    'tblorders: every column';

is_deeply sql("SELECT userid, orderid, packageid, server, regdate, domain, "
    . "paymentmethod, qty, firstpaymentamount, amount, billingcycle, "
    . "nextduedate, nextinvoicedate, termination_date, completed_date, "
    . "domainstatus, username, password, notes, subscriptionid, promoid, "
    . "suspendreason, overideautosuspend, overidesuspenduntil, dedicatedip, "
    . "assignedips, ns1, ns2, DATE(created_at) = CURDATE(), "
    . "created_at = updated_at FROM tblhosting WHERE id = $sid"),
    [[1, $oid, 1, 0, $today, '', 'banktransfer', 1, '450000.00',
      '450000.00', 'Monthly', $today, $today, '0000-00-00', '0000-00-00',
      'Pending', '', '', '', '', 0, '', 0, '0000-00-00', '', '', '', '',
      1, 1]], 'tblhosting: every column';

is_deeply sql("SELECT configid, optionid, qty FROM tblhostingconfigoptions "
              . "WHERE relid = $sid ORDER BY configid"),
    [[1, 1, 0], [2, 2, 0], [3, 5, 0], [4, 7, 0], [5, 9, 0], [6, 11, 3],
     [7, 12, 0], [8, 13, 0]],
    'tblhostingconfigoptions: the chosen OS and 3 IPs, first sub-options '
    . 'elsewhere';

is_deeply sql("SELECT userid, invoicenum, date, duedate, datepaid, subtotal, "
    . "credit, tax, tax2, total, taxrate, taxrate2, status, paymentmethod, "
    . "notes, DATE(created_at) = CURDATE() FROM tblinvoices WHERE id = $iid"),
    [[1, '', $today, $today, '0000-00-00 00:00:00', '450000.00', '0.00',
      '0.00', '0.00', '450000.00', '0.000', '0.000', 'Unpaid',
      'banktransfer', '', 1]], 'tblinvoices: every column';

my $desc = 'VPS 01 (' . dmy($d, $m, $y) . ' - ' . dmy($d - 1, $m + 1, $y)
    . ")\nDATA CENTER: VI\x{1ec6}T NAM\nServer OS: Centos 6.x 64Bit\n"
    . "CPU: 2 Core\nRAM: 1GB\nHDD: 40G\nExtra IP: 3 x IP VND50,000VND\n"
    . "Backup: No";
is_deeply sql("SELECT invoiceid, userid, type, relid, description, amount, "
    . "taxed, duedate, paymentmethod, notes FROM tblinvoiceitems "
    . "WHERE invoiceid = $iid"),
    [[$iid, 1, 'Hosting', $sid, $desc, '450000.00', 0, $today,
      'banktransfer', '']],
    'tblinvoiceitems: one Hosting line in WHMCS\'s words';

is_deeply sql("SELECT description, user, userid, ipaddr FROM tblactivitylog "
              . "WHERE id >= $aid ORDER BY id"),
    [["New Order Placed - Order ID: $oid - User ID: 1", 'Client', 1,
      '127.0.0.1']], 'tblactivitylog: the order line';
if ($v8) {
    is sql1("SELECT user_id FROM tblactivitylog WHERE id = $aid"), 1,
        'tblactivitylog: the WHMCS 8 user';
}
else {
    ok 1, 'tblactivitylog: (no users in WHMCS 7)';
}
is sql1('SELECT credit FROM tblclients WHERE id = 1'), '1000000.00',
    'NoAutoApplyCredit on: credit untouched';

$res = api('/api/v1/getproduct', { serviceid => $sid }, token => $tok);
is_deeply json_of($res)->{product},
    { serviceid => "$sid", regdate => $today, nextduedate => $today,
      status => 'Pending', domain => '', dedicatedip => '', assignedips => '',
      billingcycle => 'Monthly', username => '', password => '',
      os => 'Centos 6.x 64Bit', cpu => '2 Core', ram => '1GB', hdd => '40G',
      'Extra ip' => '3' }, 'getproduct shows what was ordered';

# --- options by display name, case-insensitively; hostname and ns ---------------
($sid, $iid) = map { next_id($_) } qw(tblhosting tblinvoices);
$res = order({ product => 'vps 01', billingcycle => 'Quarterly',
               os => 'WINDOWS SERVER 2019', ram => '2gb', cpu => '4 Core',
               hdd => '80G', hostname => 'srv1.example.com',
               ns1prefix => 'ns1', ns2prefix => 'ns2' });
is $res->code, 200, 'quarterly with every option: 200';
# 850000 + (200000 + 100000 + 50000 + 60000) x 3
is_deeply sql("SELECT firstpaymentamount, amount, billingcycle, domain, ns1, "
              . "ns2 FROM tblhosting WHERE id = $sid"),
    [['2080000.00', '2080000.00', 'Quarterly', 'srv1.example.com',
      'ns1.srv1.example.com', 'ns2.srv1.example.com']],
    'quarterly: prices of the cycle, hostname and nameservers';
is sql1("SELECT description FROM tblinvoiceitems WHERE invoiceid = $iid"),
    'VPS 01 - srv1.example.com (' . dmy($d, $m, $y) . ' - '
    . dmy($d - 1, $m + 3, $y) . ")\nDATA CENTER: VI\x{1ec6}T NAM\n"
    . "Server OS: Windows Server 2019\nCPU: 4 Core\nRAM: 2GB\nHDD: 80G\n"
    . "Extra IP: 0 x IP VND150,000VND\nBackup: No",
    'quarterly: the line, with the domain and the 3-month period';

# --- setup fee, another currency ----------------------------------------------------
($sid, $iid) = map { next_id($_) } qw(tblhosting tblinvoices);
$res = order({ product => 'VPS 01', billingcycle => 'annually' });
is $res->code, 200, 'annually: 200';
is_deeply sql("SELECT firstpaymentamount, amount FROM tblhosting "
              . "WHERE id = $sid"), [['3100000.00', '3000000.00']],
    'annually: the setup fee is paid once';
($sid, $iid) = map { next_id($_) } qw(tblhosting tblinvoices);
$res = order({ product => 'VPS 01', billingcycle => 'annually',
               extraIp => 2, os => 'win2019' }, token => mint(sub => 8));
is $res->code, 200, 'USD client: 200';
# 120.00 + 2 x 24.00 + 8.00 x 12
is_deeply sql("SELECT firstpaymentamount, amount FROM tblhosting "
              . "WHERE id = $sid"), [['264.00', '264.00']],
    'USD client: priced in dollars';
is_deeply sql("SELECT subtotal, total FROM tblinvoices WHERE id = $iid"),
    [['264.00', '264.00']], 'USD client: the invoice in dollars';
like sql1("SELECT description FROM tblinvoiceitems WHERE invoiceid = $iid"),
    qr/\nServer OS: Windows Server 2019\n.*\nExtra IP: 2 x IP \$24\.00 USD\n/s,
    'USD client: the currency\'s prefix, suffix and format';

# --- one-time and free products -------------------------------------------------------
($oid, $sid, $iid) = map { next_id($_) } qw(tblorders tblhosting tblinvoices);
$res = order({ product => 'VPS Lifetime', billingcycle => 'monthly' });
is json_of($res)->{invoiceid}, $iid, 'one-time: invoiced';
is_deeply sql("SELECT billingcycle, firstpaymentamount, nextduedate "
              . "FROM tblhosting WHERE id = $sid"),
    [['One Time', '2000000.00', $today]], 'one-time: One Time, once';
like sql1("SELECT description FROM tblinvoiceitems WHERE invoiceid = $iid"),
    qr/^VPS Lifetime\nDATA CENTER/, 'one-time: no period on the line';
($oid, $sid) = map { next_id($_) } qw(tblorders tblhosting);
my $before = next_id('tblinvoices');
$res = order({ product => 'VPS Free', billingcycle => 'monthly' });
is_deeply json_of($res), { result => 'success', orderid => $oid,
    productids => "$sid", addonids => '', domainids => '', invoiceid => 0 },
    'free: no invoice';
is next_id('tblinvoices'), $before, 'free: no invoice row';
is_deeply sql("SELECT billingcycle, amount, nextduedate FROM tblhosting "
              . "WHERE id = $sid"), [['Free Account', '0.00', '0000-00-00']],
    'free: a Free Account with no due date';

# --- tax -----------------------------------------------------------------------------
setting(TaxEnabled => 'on');
($sid, $iid) = map { next_id($_) } qw(tblhosting tblinvoices);
$res = order({ product => 'VPS 01', billingcycle => 'monthly' });
is_deeply sql("SELECT subtotal, tax, tax2, total, taxrate, taxrate2 "
              . "FROM tblinvoices WHERE id = $iid"),
    [['300000.00', '30000.00', '0.00', '330000.00', '10.000', '0.000']],
    'tax on: VAT 10% for VN';
is sql1("SELECT taxed FROM tblinvoiceitems WHERE invoiceid = $iid"), 1,
    'tax on: the line is taxed';
is sql1("SELECT amount FROM tblorders WHERE invoiceid = $iid"), '330000.00',
    'tax on: the order amount includes it';
sql('UPDATE tblclients SET taxexempt = 1 WHERE id = 1');
$iid = next_id('tblinvoices');
order({ product => 'VPS 01', billingcycle => 'monthly' });
is_deeply sql("SELECT tax, total, taxrate FROM tblinvoices WHERE id = $iid"),
    [['0.00', '300000.00', '0.000']], 'tax-exempt client: no tax';
sql('UPDATE tblclients SET taxexempt = 0 WHERE id = 1');
setting(TaxEnabled => '');

# --- invalid input: 400 and nothing written ------------------------------------------------
my $valid_cycles = 'monthly,quarterly,semiannually,annually,biennially,'
                 . 'triennially,onetime,free';
for my $case (
    [{ product => 'VPS 99', billingcycle => 'monthly' },
     { result => 'error', messages => 'Product not exists' }],
    [{ product => 'VPS Hidden', billingcycle => 'monthly' },
     { result => 'error', messages => 'Product not exists' }],
    [{ product => 'VPS Retired', billingcycle => 'monthly' },
     { result => 'error', messages => 'Product not exists' }],
    [{ billingcycle => 'monthly' },
     { result => 'error', message => 'The product field is required.' }],
    [{ product => 'VPS 01' },
     { result => 'error', message => 'The billingcycle field is required.' }],
    [{ product => 'VPS 01', billingcycle => 'weekly' },
     { result => 'error',
       message => "Invalid billingcycle: valid values are $valid_cycles" }],
    [{ product => 'VPS 01', billingcycle => 'semiannually' },
     { result => 'error', message => 'Invalid billingcycle: semiannually is '
       . 'not offered for this product; valid values are '
       . 'monthly,quarterly,annually' }],
    [{ product => 'VPS 01', billingcycle => 'monthly', os => 'centos 6.x' },
     { result => 'error', message => 'Invalid os: valid values are '
       . 'Centos 6.x 64Bit,Ubuntu 22.04 64Bit,Windows Server 2019' }],
    [{ product => 'VPS 01', billingcycle => 'monthly', cpu => '8 Core' },
     { result => 'error', message => 'Invalid cpu: valid values are '
       . '2 Core,4 Core' }],
    (map {
        [{ product => 'VPS 01', billingcycle => 'monthly', extraIp => $_ },
         { result => 'error',
           message => 'Invalid extraIp: a whole number from 1 to 5' }]
     } qw(0 6 -1 3.5 abc 03x)),
    [{ product => 'VPS 01', billingcycle => 'monthly', rootpw => 's3cret' },
     { result => 'error', message => 'rootpw is not supported: WHMCS '
       . 'encrypts it with a key only WHMCS has; set it in the client area' }],
    [{ product => 'VPS 01', billingcycle => 'monthly',
       hostname => 'bad host' },
     { result => 'error', message => 'Invalid hostname' }],
    [{ product => 'VPS 01', billingcycle => 'monthly',
       ns1prefix => 'ns1.evil' },
     { result => 'error', message => 'Invalid ns1prefix or ns2prefix' }],
    [{ product => 'VPS 02', billingcycle => 'quarterly' },
     { result => 'error', message => 'Invalid billingcycle: quarterly is not '
       . 'offered for this product; valid values are monthly' }],
) {
    my ($f, $want) = @$case;
    my $c0 = counts();
    $res = order($f);
    my $what = join ' ', map { "$_=$f->{$_}" } sort keys %$f;
    is_deeply [$res->code, json_of($res)], [400, $want], "refused: $what";
    is_deeply counts(), $c0, "refused, nothing written: $what";
}

# --- state and permission -------------------------------------------------------------------
my $c0 = counts();
$res = order({ product => 'VPS 01', billingcycle => 'monthly' },
             token => mint(sub => 6));
is_deeply [$res->code, json_of($res)],
    [409, { result => 'error',
            message => 'Unable to add order when client status is Closed' }],
    'Closed client: 409 with the seed\'s message';
is_deeply counts(), $c0, 'Closed client: nothing written';
SKIP: {
    skip 'WHMCS 8 users only', 1 unless $v8;
    $res = order({ product => 'VPS 01', billingcycle => 'monthly' },
                 token => mint(sub => 1, uid => 7));
    is_deeply [$res->code, json_of($res)],
        [403, { result => 'error', messages => 'Permission denied!' }],
        'a user without the orders permission: Permission denied!';
}
$res = order({ product => 'VPS 01', billingcycle => 'monthly',
               clientid => 2, paymentmethod => 'paypal',
               priceoverride => '1.00' });
$iid = json_of($res)->{invoiceid};
is_deeply sql("SELECT userid, total, paymentmethod FROM tblinvoices "
              . "WHERE id = $iid"), [[1, '300000.00', 'banktransfer']],
    'clientid, paymentmethod and priceoverride fields are never applied';

# --- a JSON body ----------------------------------------------------------------------------
$res = order({ product => 'VPS 01', billingcycle => 'monthly', extraIp => 5 },
             ct => 'application/json');
is $res->code, 200, 'a JSON body works';

# --- credit applied automatically (NoAutoApplyCredit off) -----------------------------------
setting(NoAutoApplyCredit => '');
sql("UPDATE tblclients SET credit = 50.00 WHERE id = 8");
($sid, $iid, $aid) = map { next_id($_) }
    qw(tblhosting tblinvoices tblactivitylog);
$res = order({ product => 'VPS 01', billingcycle => 'monthly' },
             token => mint(sub => 8));
is_deeply sql("SELECT credit, total, status FROM tblinvoices "
              . "WHERE id = $iid"), [['12.00', '0.00', 'Paid']],
    'credit covers the invoice: applied and Paid';
is sql1('SELECT credit FROM tblclients WHERE id = 8'), '38.00',
    'credit covers it: the client\'s credit goes down';
is_deeply sql("SELECT clientid, date, description, amount FROM tblcredit "
              . "WHERE description LIKE '%#$iid'"),
    [[8, $today, "Credit Applied to Invoice #$iid", '-12.00']],
    'credit covers it: the tblcredit line';
is sql1("SELECT nextduedate FROM tblhosting WHERE id = $sid"),
    ymd($d, $m + 1, $y), 'paid: the service is due a cycle later';
is_deeply [map { $_->[0] } @{ sql("SELECT description FROM tblactivitylog "
                                  . "WHERE id >= $aid ORDER BY id") }],
    ["New Order Placed - Order ID: " . json_of($res)->{orderid}
     . " - User ID: 8",
     "Credit Applied - Amount: 12.00 - Invoice ID: $iid",
     "Invoice Marked Paid - Invoice ID: $iid"],
    'credit covers it: WHMCS\'s activity lines';
$iid = next_id('tblinvoices');
order({ product => 'VPS 01', billingcycle => 'annually' },
      token => mint(sub => 8));
is_deeply sql("SELECT credit, total, status FROM tblinvoices "
              . "WHERE id = $iid"), [['38.00', '82.00', 'Unpaid']],
    'credit short of the invoice: all of it applied, still Unpaid';
is sql1('SELECT credit FROM tblclients WHERE id = 8'), '0.00',
    'credit short: none left';
setting(NoAutoApplyCredit => 'on');

# --- a failure in the middle leaves nothing ---------------------------------------------------
sql("CREATE TRIGGER kd_test_fail BEFORE INSERT ON tblinvoiceitems "
    . "FOR EACH ROW SIGNAL SQLSTATE '45000' "
    . "SET MESSAGE_TEXT = 'test: fail the order here'");
$c0 = counts();
$res = order({ product => 'VPS 01', billingcycle => 'monthly' });
sql('DROP TRIGGER kd_test_fail');
is_deeply [$res->code, json_of($res)],
    [500, { result => 'error', message => 'Internal error' }],
    'failure mid-transaction: 500, no SQL in the body';
is_deeply counts(), $c0, 'failure mid-transaction: no partial order';
$res = order({ product => 'VPS 01', billingcycle => 'monthly' });
is $res->code, 200, 'and the next order on that connection works';

# --- two orders at once ------------------------------------------------------------------------
$c0 = counts();
my @r = parallel(2, sub {
    order({ product => 'VPS 01', billingcycle => 'monthly', extraIp => 1 })
});
is_deeply [map { $_->[0] } @r], [200, 200], 'two at once: both succeed';
my @b = map { JSON::PP->new->decode($_->[1]) } @r;
isnt $b[0]{orderid}, $b[1]{orderid}, 'two at once: two orders';
isnt $b[0]{invoiceid}, $b[1]{invoiceid}, 'two at once: two invoices';
is sql1("SELECT COUNT(DISTINCT ordernum) FROM tblorders WHERE id IN "
        . "($b[0]{orderid}, $b[1]{orderid})"), 2,
    'two at once: distinct order numbers';
is counts()->{tblhosting}, $c0->{tblhosting} + 2, 'two at once: two services';
