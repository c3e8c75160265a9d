# A table the writes use converted to an engine without transactions
# (catalogue case 109): a rollback would leave half an order or payment
# behind, so addorder, applycredit and cancelrequest answer 503 and the
# log names the table, while reads go on; converted back, writes resume.
# The check is cached for KdataSchemaRecheck seconds (2 in the tests).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;

plan tests => 22, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
my $recheck = 2;
sub call { api("/api/v1/$_[0]", $_[1], token => $tok) }
sub order {
    my $b = json_of(call('addorder', { product => 'VPS 01',
                                       billingcycle => 'monthly' }));
    die "order failed\n" unless $b->{result} eq 'success';
    return ($b->{invoiceid}, $b->{productids});
}
# Every process trusts its last check for $recheck seconds (whole ones).
sub wait_recheck { select undef, undef, undef, $recheck + 1.2 }
sub engine {
    sql1("SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA "
         . "= DATABASE() AND TABLE_NAME = '$_[0]'");
}
sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}

setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000.00 WHERE id = 1');
my ($iid, $sid) = order();
is engine('tblcancelrequests'), 'InnoDB', 'the test table starts as InnoDB';

# --- one written table on MyISAM: every write refused, nothing written ---------
my $log0 = length log_text();
sql('ALTER TABLE tblcancelrequests ENGINE=MyISAM');
is engine('tblcancelrequests'), 'MyISAM', 'converted to MyISAM';
wait_recheck();
my $c0 = counts();
my @writes = (
    [addorder => { product => 'VPS 01', billingcycle => 'monthly' }],
    [applycredit => { invoiceid => $iid }],
    [cancelrequest => { serviceid => $sid, reason => 'x' }],
);
for my $w (@writes) {
    my $res = call(@$w);
    is_deeply [$res->code, json_of($res)], [503, $down],
        "MyISAM: $w->[0] 503";
    is $res->header('Retry-After'), 5, "MyISAM: $w->[0] Retry-After";
}
my $key = 'kd86-' . int(rand 1e9);
my $res = api('/api/v1/addorder', { product => 'VPS 01',
                                    billingcycle => 'monthly' },
              token => $tok, headers => { 'Idempotency-Key' => $key });
is $res->code, 503, 'MyISAM: addorder with an Idempotency-Key 503';
is_deeply counts(), $c0, 'MyISAM: nothing written';
is sql1("SELECT status FROM tblinvoices WHERE id = $iid"), 'Unpaid',
    'MyISAM: the invoice is still unpaid';
my $ok = 0;
$ok += call('getproduct', { serviceid => $sid })->code == 200 for 1 .. 30;
is $ok, 30, 'MyISAM: getproduct (a read) still 200, 30 times';
is call('getinvoice', { invoiceid => $iid })->code, 200,
    'MyISAM: getinvoice (a read) still 200';
my $new = substr log_text(), $log0;
my $kd305 = qr/KD00305: tables on an engine without transactions: /;
like $new, qr/$kd305.*tblcancelrequests \(MyISAM\)/,
    'the log names the table and its engine';
my $lines = () = $new =~ /KD00305/g;
# At most 4 processes, each logging once per period: fewer lines than
# the 33 requests that found the table.
ok $lines >= 1 && $lines <= 8,
    "logged once per process per period, not per request ($lines)";

# --- tblactivitylog is WHMCS's log, not money: it does not block writes -------
sql('ALTER TABLE tblcancelrequests ENGINE=InnoDB');
sql('ALTER TABLE tblactivitylog ENGINE=MyISAM');
wait_recheck();
$res = call('applycredit', { invoiceid => $iid });
is $res->code, 200, 'tblactivitylog on MyISAM: applycredit 200';
is json_of($res)->{invoicepaid}, 'true', 'the invoice is paid';
sql('ALTER TABLE tblactivitylog ENGINE=InnoDB');

# --- back on InnoDB: writes resume without restarting Apache ---------------------
is engine('tblcancelrequests'), 'InnoDB', 'converted back to InnoDB';
my ($iid2, $sid2) = order();
ok $iid2, 'InnoDB again: addorder works';
$res = api('/api/v1/addorder', { product => 'VPS 01',
                                 billingcycle => 'monthly' },
           token => $tok, headers => { 'Idempotency-Key' => $key });
is_deeply [$res->code, scalar $res->header('Idempotent-Replayed')],
    [200, undef],
    'the refused order\'s Idempotency-Key was not kept: the retry orders';
$res = call('cancelrequest', { serviceid => $sid2, reason => 'x' });
is $res->code, 200, 'InnoDB again: cancelrequest 200';
like log_text(), qr/KD00306: every table writes use is transactional again/,
    'the log says writes resumed';
