# The outbox (KdataWhmcsApi): after a write, what WHMCS itself would do
# (its emails, its provisioning) reaches WHMCS's external API, reliably
# and outside every request.  WHMCS itself cannot run here:
# t/bin/kd-whmcs-api stands in for its api.php, checks the form and the
# credential as WHMCS documents them, and records each call it answers
# with "success".  The server kdata_outbox (t/conf/extra.conf.in) points
# at it with short backoff (1 s doubling to 4 s, 12 attempts, 3 s
# timeout); the main server has no KdataWhmcsApi.
#
# Shown: the exact calls after an order (product set up on order or
# not), a payment (set up on payment or not) and a cancellation request;
# nothing for a refused write, a replayed one, or one on a server without
# KdataWhmcsApi; a 30 s outage keeps its events pending and delivers
# each once when WHMCS is back; 500s, API errors and a wrong credential
# are retried with WHMCS's message kept, then parked; scripts/kd-outbox
# lists and re-drives; a hanging WHMCS does not slow a customer request;
# two more Apache hosts (KData::Cluster) on the same outbox never send
# one event twice.  The figures are printed as diagnostics.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use KData::Cluster;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

plan tests => 51, need_module 'kdata', 'dbd';

my $v8 = schema_flavour() ne 'whmcs7';
my $tok = mint(sub => 1, ($v8 ? (uid => 1) : ()));
my $port = $ENV{KD_WHMCS_API_PORT};
my $dir = tempdir(CLEANUP => 1);
my $log = 't/logs/error_log';
my $client = kd_db() . " sql $ENV{KD_DB_DIR} $ENV{KD_DB_NAME}";
my $tool = "$ENV{KD_TOP}/scripts/kd-outbox";

sub slurp {
    open my $fh, '<', $_[0] or return '';
    local $/;
    return scalar <$fh>;
}

sub spew {
    open my $fh, '>', $_[0] or die "$_[0]: $!";
    print $fh $_[1];
    close $fh;
}

# --- the stand-in ------------------------------------------------------------
my $api_pid;
sub api_up {
    $api_pid = fork // die "fork: $!";
    if (!$api_pid) {
        POSIX::setsid();
        open STDIN, '<', '/dev/null';
        { no warnings 'exec'; exec $^X, "$ENV{KD_TOP}/t/bin/kd-whmcs-api",
                                     $port, $dir; }
        POSIX::_exit(127);
    }
    for (1 .. 200) {
        return if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        sleep 0.05;
    }
    die "the stand-in does not listen on $port\n";
}
sub api_down {
    return unless $api_pid;
    kill 'TERM', -$api_pid;
    waitpid $api_pid, 0;
    $api_pid = undef;
    for (1 .. 100) {
        last unless IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
        sleep 0.05;
    }
}
END { kill 'KILL', -$api_pid if $api_pid }
sub mode { spew("$dir/mode", "$_[0]\n") }
my $cred = slurp($ENV{KD_WHMCS_API_CRED});
spew("$dir/cred", $cred);

# The calls WHMCS answered, from the n-th on.
sub calls_from { my @c = split /\n/, slurp("$dir/calls"); @c[$_[0] .. $#c] }
sub ncalls { scalar(() = slurp("$dir/calls") =~ /\n/g) }

# Rows of the outbox that one write queued.
sub rows_of {
    my $origin = shift;
    sql("SELECT kind, payload, state, attempts, last_error "
        . "FROM mod_kdata_outbox WHERE origin = '$origin' ORDER BY id");
}
sub settled {
    my $origin = shift;
    wait_until(15, sub { !sql1("SELECT COUNT(*) FROM mod_kdata_outbox "
                               . "WHERE origin = '$origin' AND state "
                               . "<> 'done'") });
}
sub nrows { sql1("SELECT COUNT(*) FROM mod_kdata_outbox") }

sub call { api("/api/v1/$_[0]", $_[1], token => $tok, %{ $_[2] || {} }) }
sub order {
    my $b = json_of(call('addorder', { product => 'VPS 01',
                                       billingcycle => 'monthly' }));
    my ($num, $amount, $gw) = @{ sql("SELECT ordernum, amount, "
        . "paymentmethod FROM tblorders WHERE id = $b->{orderid}")->[0] };
    return { oid => $b->{orderid}, iid => $b->{invoiceid},
             sid => $b->{productids}, num => $num, total => $amount,
             gw => $gw };
}
sub order_call {
    my $o = shift;
    return "SendAdminEmail\tmergefields[client_id]=1&mergefields[invoice_id]"
        . "=$o->{iid}&mergefields[order_id]=$o->{oid}&mergefields"
        . "[order_number]=$o->{num}&mergefields[order_payment_method]="
        . "$o->{gw}&mergefields[order_total]=$o->{total}&messagename=New "
        . "Order Notification&type=system";
}
sub create_call { "ModuleCreate\tserviceid=$_[0]" }
sub paid_call {
    "SendEmail\tid=$_[0]&messagename=Invoice Payment Confirmation";
}

my %saved = (
    credit => sql1("SELECT credit FROM tblclients WHERE id = 1"),
    autosetup => sql1("SELECT autosetup FROM tblproducts WHERE id = 1")
                 // "",
);
sub autosetup { sql("UPDATE tblproducts SET autosetup = '$_[0]' WHERE id = 1") }
setting(NoAutoApplyCredit => 'on');
setting(CancelInvoiceOnCancellation => 'off');
sql("DELETE FROM mod_kdata_outbox");
mode('ok');
api_up();

# --- the main server has no KdataWhmcsApi: nothing is queued -----------------
Apache::TestRequest::module('default');
order();
is nrows(), 0, 'without KdataWhmcsApi a write queues nothing';

Apache::TestRequest::module('kdata_outbox');

# --- an order -------------------------------------------------------------------
autosetup('');
my $mark = ncalls();
my $o = order();
ok settled("order $o->{oid}"), 'order: delivered';
is_deeply [calls_from($mark)], [order_call($o)],
    'order (manual setup): the admins\' New Order Notification, once';
is_deeply rows_of("order $o->{oid}"),
    [['SendAdminEmail', 'messagename=New+Order+Notification&type=system&'
      . "mergefields%5border_id%5d=$o->{oid}&mergefields%5border_number%5d="
      . "$o->{num}&mergefields%5binvoice_id%5d=$o->{iid}&mergefields"
      . "%5bclient_id%5d=1&mergefields%5border_payment_method%5d=$o->{gw}"
      . "&mergefields%5border_total%5d=$o->{total}", 'done', 1, '']],
    'the row: the form as queued, done after one attempt';

autosetup('order');
$mark = ncalls();
$o = order();
ok settled("order $o->{oid}"), 'order, set up on order: delivered';
is_deeply [calls_from($mark)], [order_call($o), create_call($o->{sid})],
    'order (set up on order): New Order Notification, then ModuleCreate';

# --- a payment ------------------------------------------------------------------
sql("UPDATE tblclients SET credit = 10000000 WHERE id = 1");
my $paid;
for my $setup ('payment', '') {
    autosetup($setup);
    $o = order();
    ok settled("order $o->{oid}"), "order for payment ($setup): delivered";
    $mark = ncalls();
    my $res = call('applycredit', { invoiceid => $o->{iid} });
    like $res->content, qr/"invoicepaid":"true"/, 'the invoice is paid';
    $paid = $o->{iid};
    ok settled("invoice $o->{iid} paid"), 'payment: delivered';
    is_deeply [calls_from($mark)],
        [paid_call($o->{iid}),
         ($setup eq 'payment' ? create_call($o->{sid}) : ())],
        $setup eq 'payment'
        ? 'paid (set up on payment): Invoice Payment Confirmation, then '
          . 'ModuleCreate of the Pending service'
        : 'paid (manual setup): Invoice Payment Confirmation only';
}

# --- an order paid from credit at once -------------------------------------------
autosetup('payment');
setting(NoAutoApplyCredit => 'off');
$mark = ncalls();
$o = order();
ok settled("order $o->{oid}") && settled("invoice $o->{iid} paid"),
    'order paid from credit: delivered';
is_deeply [calls_from($mark)],
    [order_call($o), paid_call($o->{iid}), create_call($o->{sid})],
    'order paid from credit: the order\'s call, then the payment\'s';
setting(NoAutoApplyCredit => 'on');
autosetup('');

# --- a cancellation request -------------------------------------------------------
$o = order();
settled("order $o->{oid}");
$mark = ncalls();
my $res = call('cancelrequest', { serviceid => $o->{sid},
                                  reason => 'Too slow & too dear',
                                  type => 'Immediate' });
is $res->code, 200, 'cancelrequest: 200';
ok settled("cancel service $o->{sid}"), 'cancellation: delivered';
is_deeply [calls_from($mark)],
    ["SendEmail\tid=$o->{sid}&messagename=Cancellation Request Confirmation",
     "SendAdminEmail\tmergefields[client_id]=1&mergefields"
     . "[service_cancellation_reason]=Too slow & too dear&mergefields"
     . "[service_cancellation_type]=Immediate&mergefields[service_id]="
     . "$o->{sid}&messagename=New Cancellation Request&type=account"],
    'cancellation: the client\'s confirmation and the admins\' notice';

# --- refused and replayed writes queue nothing --------------------------------------
my $n = nrows();
$mark = ncalls();
is call('cancelrequest', { serviceid => $o->{sid}, reason => 'again' })->code,
    409, 'a second cancellation request: 409';
is call('applycredit', { invoiceid => $paid })->code, 409,
    'applycredit on an invoice not Unpaid: 409';
is call('addorder', { product => 'No such', billingcycle => 'monthly' })
    ->code, 400, 'an order for no product: 400';
my %key = (headers => { 'Idempotency-Key' => 'outbox-' . time });
my $first = call('addorder', { product => 'VPS 01',
                               billingcycle => 'monthly' }, \%key);
my $again = call('addorder', { product => 'VPS 01',
                               billingcycle => 'monthly' }, \%key);
is $again->header('Idempotent-Replayed'), 'true', 'a replayed order';
is nrows(), $n + 1, 'refused writes queue nothing; the replay nothing more';
ok settled('order ' . json_of($first)->{orderid}), 'the keyed order: delivered';

# A write rolled back after it queued its calls (its Idempotency-Key's
# answer, the last statement before COMMIT, fails) leaves none of them.
sql("CREATE TRIGGER kd_t_outbox BEFORE UPDATE ON mod_kdata_idempotency "
    . "FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
    . "'t/58: the write fails at its end'");
my $norders = sql1("SELECT COUNT(*) FROM tblorders");
is call('addorder', { product => 'VPS 01', billingcycle => 'monthly' },
        { headers => { 'Idempotency-Key' => 'outbox-fail-' . time } })->code,
    500, 'an order that fails at COMMIT time: 500';
sql("DROP TRIGGER kd_t_outbox");
is_deeply [sql1("SELECT COUNT(*) FROM tblorders"), nrows()],
    [$norders, $n + 1], 'rolled back: no order, and nothing queued';
sleep 1.5;
is ncalls(), $mark + 1, 'and WHMCS was called once for all of them';

# --- WHMCS down for 30 s -------------------------------------------------------------
api_down();
$mark = ncalls();
$o = order();
my $origin = "order $o->{oid}";
my $t0 = time;
sleep 10;
my $r10 = rows_of($origin)->[0];
sleep 20;
my $r30 = rows_of($origin)->[0];
diag sprintf "outage: after 10 s attempts %d, after 30 s attempts %d (%s)",
    $r10->[3], $r30->[3], $r30->[4];
ok $r30->[2] eq 'pending' && $r30->[3] > $r10->[3] && $r10->[3] >= 2,
    'during the outage the event stays pending, retried with backoff';
like $r30->[4], qr/connect/i, 'its last error is curl\'s';
is ncalls(), $mark, 'nothing reached WHMCS';
api_up();
my $up = time;
ok settled($origin), 'after the outage: delivered';
my $recovery = time - $up;
diag sprintf "outage: delivered %.1f s after WHMCS came back", $recovery;
ok $recovery < 10, 'within the longest backoff (4 s) and a round or two';
is_deeply [calls_from($mark)], [order_call($o)], 'exactly once';

# --- 500, API error, wrong credential; parked; re-driven -----------------------------
mode('fail');
$o = order();
$origin = "order $o->{oid}";
ok wait_until(10, sub { (rows_of($origin)->[0][4] // '') =~ /^HTTP 500/ }),
    'a 500 is retried: ' . rows_of($origin)->[0][4];
mode('ok');
spew("$dir/cred", "wrong\nsecret\n");
ok wait_until(10, sub { (rows_of($origin)->[0][4] // '') eq
                        'HTTP 403: Authentication Failed' }),
    'a wrong credential is retried with WHMCS\'s message';
spew("$dir/cred", $cred);
mode('error');
ok wait_until(10, sub { (rows_of($origin)->[0][4] // '') eq
                        'HTTP 200: Simulated error' }),
    'an API error is retried with WHMCS\'s message';
# Twelve attempts would take over 40 s: the first ten are counted as made.
sql("UPDATE mod_kdata_outbox SET attempts = 10 WHERE origin = '$origin'");
ok wait_until(15, sub { rows_of($origin)->[0][2] eq 'parked' }),
    'parked after KdataWhmcsApiAttempts';
my $id = sql1("SELECT id FROM mod_kdata_outbox WHERE origin = '$origin'");
is_deeply [@{ rows_of($origin)->[0] }[2 .. 4]],
    ['parked', 12, 'HTTP 200: Simulated error'],
    'parked with its attempts and last error';
like slurp($log), qr/KD01353: outbox $id: SendAdminEmail for $origin parked/,
    'the parking is logged (KD01353)';
my $secret = (split /\n/, $cred)[1];
unlike slurp($log), qr/\Q$secret\E/,
    'the secret is never logged';
like scalar `$tool -c "$client" list 2>&1`, qr/^\|\s*$id\s*\|/m,
    'kd-outbox list shows it';
mode('ok');
$mark = ncalls();
is scalar `$tool -c "$client" redrive $id 2>&1`, "1 redriven\n",
    'kd-outbox redrive';
ok settled($origin), 're-driven: delivered';
is_deeply [calls_from($mark)], [order_call($o)], 'once';

# --- WHMCS hangs: customers do not wait ----------------------------------------------
sub latency {
    my @t;
    for (1 .. 5) {
        my $t = time;
        my $r = call('getproduct', { serviceid => $o->{sid} });
        die 'getproduct: ' . $r->code unless $r->code == 200;
        push @t, time - $t;
    }
    return (sort { $b <=> $a } @t)[0];
}
my $base = latency();
mode('hang');
$o = order();
ok wait_until(5, sub { slurp("$dir/log") =~ /\thang\t200\tSendAdminEmail/ }),
    'WHMCS hangs on the call';
my $hung = latency();
diag sprintf "latency: worst of 5 getproduct %.3f s before, %.3f s while "
    . "WHMCS hangs", $base, $hung;
ok $hung < $base + 1, 'a customer request is not slowed by a hanging WHMCS';
ok wait_until(10, sub { (rows_of("order $o->{oid}")->[0][4] // '')
                        =~ /timed out/i }),
    'the call timed out (KdataWhmcsApiTimeout) and will be retried';
mode('ok');
ok settled("order $o->{oid}"), 'delivered once WHMCS answers';
diag sprintf "hang: WHMCS saw the call %d times (each timed out but the "
    . "last), and answered it once", scalar(() = slurp("$dir/log")
    =~ /SendAdminEmail\t[^\n]*\[order_id\]=$o->{oid}&/g);

# --- two more hosts on the same outbox ------------------------------------------------
SKIP: {
    my $why = KData::Cluster->available('memcache');
    skip "no cluster: $why", 2 if $why;
    my $c = KData::Cluster->new(cache => 'memcache', hosts => 2, conf => <<"EOC");
KdataWhmcsApi http://127.0.0.1:$port/includes/api.php
KdataWhmcsApiCredentials "$ENV{KD_WHMCS_API_CRED}"
KdataWhmcsApiBackoff 1 4
KdataWhmcsApiTimeout 3
EOC
    $mark = ncalls();
    my $now = time;
    sql("INSERT INTO mod_kdata_outbox (kind, payload, origin, next_at, "
        . "created) VALUES " . join ', ', map {
            "('SendEmail', 'messagename=Cluster&id=$_', 'cluster $_', "
            . int($now) . ", " . int($now) . ")"
        } 1 .. 40);
    ok wait_until(30, sub { !sql1("SELECT COUNT(*) FROM mod_kdata_outbox "
                                  . "WHERE origin LIKE 'cluster %' AND "
                                  . "state <> 'done'") }),
        '40 events, three Apache hosts: all delivered';
    my %seen;
    $seen{$_}++ for calls_from($mark);
    my @twice = grep { $seen{$_} > 1 } sort keys %seen;
    is_deeply [scalar(keys %seen), \@twice], [40, []],
        'each sent exactly once';
    diag 'cluster: delivered by ' . join ', ', map { "$_->[0] x$_->[1]" }
        @{ sql("SELECT claimed_by, COUNT(*) FROM mod_kdata_outbox WHERE "
               . "origin LIKE 'cluster %' GROUP BY claimed_by") };
    $c->stop;
}

api_down();
Apache::TestRequest::module('default');
sql("UPDATE tblclients SET credit = $saved{credit} WHERE id = 1");
autosetup($saved{autosetup});
sql("DELETE FROM mod_kdata_outbox");
