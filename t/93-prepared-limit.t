# The database server's limit on prepared statements
# (max_prepared_stmt_count: every statement of every connection of every
# Apache host counts against it).  What one connection prepares for a
# mix of routes; the start-up check of each pool (KD00310 over the limit,
# KD00311 within it); and the limit reached: a request that needs a
# statement new to its connection gets the 503 JSON with Retry-After,
# a log line a minute per process (KD00309), nothing half written, and
# the connections work again by themselves once the limit allows.  The
# server kdata_prep
# (t/conf/extra.conf.in) has a pool of one connection per process: the
# requests of one keep-alive HTTP connection (one process) run on one
# database connection.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;

plan tests => 27, need_module 'kdata', 'dbd';

my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
my $limit0 = sql1('SELECT @@global.max_prepared_stmt_count');
my $nac0 = sql1("SELECT value FROM tblconfiguration "
                . "WHERE setting = 'NoAutoApplyCredit'");
my $me = $$;
END {
    # No other test may run with the limit lowered.
    if ($$ == $me && defined $limit0) {
        sql("SET GLOBAL max_prepared_stmt_count = $limit0");
        setting(NoAutoApplyCredit => $nac0 // q{});
    }
}

sub held {
    sql1("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
         . "WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'");
}
sub log_text {
    open my $fh, '<', 't/logs/error_log' or die "error_log: $!";
    local $/;
    return <$fh>;
}
# Every idle connection of the module ended (with its statements): the
# next request of each process gets a new one.
sub fresh {
    my @ids = map { $_->[0] } @{ sql("SELECT ID FROM information_schema."
                                     . "PROCESSLIST WHERE USER = 'kdata' "
                                     . "AND COMMAND = 'Sleep'") };
    return unless @ids;
    sql("KILL $_") for @ids;
    my $in = join ',', @ids;
    for (1 .. 50) {
        last unless sql1("SELECT COUNT(*) FROM information_schema."
                         . "PROCESSLIST WHERE ID IN ($in)");
        select undef, undef, undef, 0.1;
    }
}
# From here on, one HTTP connection to kdata_prep: one process, one
# database connection.
sub one_connection {
    Apache::TestRequest::user_agent(reset => 1, keep_alive => 1);
    Apache::TestRequest::module('kdata_prep');
}
sub call { api("/api/v1/$_[1]", $_[2], token => $_[0], %{ $_[3] || {} }) }
sub order {
    my ($tok, $more, $opts) = @_;
    call($tok, 'addorder', { product => 'VPS 01', billingcycle => 'monthly',
                             %{ $more || {} } }, $opts);
}

# A client of this file's own (copy of client 2, password other-pass-2).
my $pw2 = '$2y$10$QChtMhxiXX3H6wrrgIZaeuyR6cPy5mC8Q.YeYu6kZ77rCXK6UqkrC';
add_account(93, 'prepared@example.com', $pw2);
sql('UPDATE tblclients SET credit = 100000.00 WHERE id = 93');
setting(NoAutoApplyCredit => 'on');
my $tok = mint(sub => 93,
               (schema_flavour() ne 'whmcs7' ? (uid => 93) : ()));
my $first = json_of(order($tok));
my ($iid, $sid) = @$first{qw(invoiceid productids)};
ok $iid && $sid, 'client 93 has an order';

# --- what a connection prepares ----------------------------------------------
# Each mix twice on a new connection (the second round prepares nothing
# new: the steady state), counted as the growth of Prepared_stmt_count;
# nothing else runs meanwhile (the outbox courier, whose connection is
# killed too, finds it dead the next second, connects again the second
# after and prepares its own before the pause is over).
my @codes;
sub reads {
    my $t = login_token('prepared@example.com', 'other-pass-2');
    push @codes, map { call($t, @$_)->code }
        [getproduct => { serviceid => $sid }],
        [getinvoice => { invoiceid => $iid }],
        [getinvoiceproduct => { serviceid => $sid }],
        [getclientsproducts => {}], [getinvoices => {}],
        [getclientsdetails => {}];
    return $t;
}
sub writes {
    my $t = reads();
    my $o = json_of(order($t));
    push @codes,
        call($t, 'applycredit', { invoiceid => $o->{invoiceid},
                                  amount => '1.00' })->code,
        call($t, 'cancelrequest', { serviceid => $o->{productids},
                                    reason => 'prepared' })->code;
    my $r = api('/refresh', undef, token => $t);
    push @codes, $r->code,
        api('/logout', undef, token => json_of($r)->{0}{token})->code;
}
my $n = 0;
sub everything {
    writes();
    my $t = login_token('prepared@example.com', 'other-pass-2');
    my $key = 'kd93-' . $$ . '-' . ++$n;
    my %key = (headers => { 'Idempotency-Key' => $key });
    push @codes,
        api('/login', { email => 'prepared@example.com',
                        password => 'not-it' })->code,
        order($t, { os => 'centos6', extraIp => 1 }, \%key)->code;
}
sub measure {
    my ($mix) = @_;
    one_connection();
    fresh();
    select undef, undef, undef, 2.5;
    my $before = held();
    @codes = ();
    $mix->() for 1 .. 2;
    my $grew = held() - $before;
    Apache::TestRequest::user_agent(reset => 1);
    return $grew;
}
my %per = (reads => measure(\&reads));
is "@codes", join(' ', (200) x 12), 'reads: every answer 200';
$per{writes} = measure(\&writes);
is scalar(grep { $_ != 200 } @codes), 0, 'reads and writes: every answer 200';
$per{all} = measure(\&everything);
diag sprintf 'statements one connection prepares (%s): reads %d, '
    . 'reads + writes %d, everything %d', schema_flavour(),
    @per{qw(reads writes all)};
ok 0 < $per{reads} && $per{reads} < $per{writes}
    && $per{writes} < $per{all}, 'reads < reads + writes < everything';

# --- the start-up check: each pool, once per process -------------------------
my $log = log_text();
# The main server: 4 processes (MaxRequestWorkers 64 / ThreadsPerChild
# 16) x 16 connections (DBDMax 16) x every statement.
my ($stmts) = $log =~ /KD00311:\ prepared\ statements\ at\ worst:\ 1
    \ host\(s\)
    \ x\ 4\ processes\ x\ 16\ connections\ x\ (\d+)\ statements
    \ =\ \d+,\ within\ the\ database's\ max_prepared_stmt_count
    \ $limit0\b/x;
$stmts //= 0;
ok $stmts > 20, "the main server's pool: within the limit (KD00311)";
ok $per{all} < $stmts,
    "a connection prepares fewer than every statement ($per{all} < $stmts)";
my $worst = 400 * 4 * 1 * $stmts;
like $log, qr/KD00310:\ the\ 400\ hosts\ of\ KdataClusterHosts\ can\ hold
    \ more\ prepared\ statements\ than\ the\ database\ allows:\ 400
    \ host\(s\)\ x\ 4\ processes\ x\ 1\ connections\ x\ $stmts
    \ statements\ =\ $worst\ >\ its\ max_prepared_stmt_count\ $limit0;
    .*Keep\ hosts\ x\ processes\ x\ DBDMax\ x\ statements\ <=
    \ max_prepared_stmt_count/x,
    'kdata_prep (KdataClusterHosts 400): the warning, with the rule';
my $warned = () = $log =~ /KD00310: the 400 hosts/g;
ok $warned >= 1 && $warned <= 8, "once per process, not per connection "
    . "($warned)";
unlike $log, qr/KD00310: this host alone/, 'no pool is over it alone';

# --- the limit reached -------------------------------------------------------
# A connection prepared what an order without credit runs (the second
# order also ran the schema check, every KdataSchemaRecheck = 2 s), not
# what applying credit runs.
one_connection();
fresh();
is order($tok)->code, 200, 'warm: an order';
select undef, undef, undef, 2.5;
is order($tok)->code, 200, 'warm: another, after the schema recheck';
my $held = held();
my $log0 = length log_text();
# 0: below what the connections hold, so none can prepare whatever
# another frees meanwhile (a limit of exactly $held would let one that
# expires elsewhere make room).
sql('SET GLOBAL max_prepared_stmt_count = 0');
ok $held > 0, "the connections hold $held statements, over the limit (0)";
is order($tok)->code, 200,
    'an order needing nothing new: 200 (a connection keeps its statements)';

# Credit applied at the end of an order, after its rows are written:
# the first statement new to the connection fails there.
setting(NoAutoApplyCredit => '');
my $c0 = counts();
my $res = order($tok);
is_deeply [$res->code, json_of($res)], [503, $down],
    'the limit reached mid-order: 503';
is $res->header('Retry-After'), 5, 'the limit reached: Retry-After';
is_deeply counts(), $c0, 'the order rolled back: nothing written';
is open_transactions(), 0, 'no transaction left open';

# New connections cannot prepare even the caller's check.  (httpd ends
# the HTTP connection after a 503: these go to any process.)
fresh();
my @r = map { call($tok, 'getproduct', { serviceid => $sid }) } 1 .. 8;
is_deeply [map { [$_->code, json_of($_)] } @r], [([503, $down]) x 8],
    'new connections: every read 503';
is scalar(grep { ($_->header('Retry-After') // '') eq '5' } @r), 8,
    'each with Retry-After';

my $new = substr log_text(), $log0;
my @lines = $new =~ /^.*KD00309: .*$/mg;
my %per_pid;
$per_pid{/\[pid (\d+)/ ? $1 : ''}++ for @lines;
ok @lines >= 1 && !grep({ $_ != 1 } values %per_pid),
    sprintf 'nine 503s, %d log line(s): one a minute per process',
    scalar @lines;
like $lines[0] // '', qr/KD00309:\ kd_credit_move\ cannot\ be\ prepared:
    \ .*max_prepared_stmt_count.*\(current\ value:\ 0\);\ the\ database
    \ server's\ max_prepared_stmt_count\ is\ reached,\ .*\ keep\ hosts
    \ x\ processes\ x\ DBDMax\ x\ \d+\ <=\ max_prepared_stmt_count
    \ \(conf\/kdata.conf\)/x,
    'it names the statement, the limit and the rule';
unlike $new, qr/KD00302/, 'no line per request';

# --- the limit raised again: the same connection goes on -----------------
sql("SET GLOBAL max_prepared_stmt_count = $limit0");
is call($tok, 'getproduct', { serviceid => $sid })->code, 200,
    'limit restored: a read works (the connections went on by themselves)';
$c0 = counts();
$res = order($tok);
is $res->code, 200, 'limit restored: the order with credit works';
is sql1("SELECT COUNT(*) FROM tblcredit WHERE clientid = 93 AND "
        . "description = 'Credit Applied to Invoice #"
        . json_of($res)->{invoiceid} . "'"), 1, 'and applied the credit';
is counts()->{tblorders}, $c0->{tblorders} + 1, 'one order written';
is open_transactions(), 0, 'no transaction left open at the end';
Apache::TestRequest::user_agent(reset => 1);
