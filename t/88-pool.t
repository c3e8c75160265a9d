# More slow requests than connections (catalogue case 102): a server
# whose pool (DBDMax 4) is smaller than a process' threads (16) gets 21
# requests at once, each holding its connection while it waits on a row
# lock held elsewhere.  With at most 4 processes, one of them gets at
# least 6 of the 21, so its pool runs out and the rest queue for a
# connection.  Every answer is 200 or the 503 JSON with Retry-After,
# all come in bounded time, no credit is applied twice, and afterwards
# the pool serves again with no transaction left open.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use Time::HiRes qw(time);
use POSIX ();

plan tests => 14, need_module 'kdata', 'dbd';

my $tok = mint(sub => 2);
my $n = 21;                     # the pool's DBDMax (4) + 5, and then some
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };

setting(NoAutoApplyCredit => 'on');
sql('UPDATE tblclients SET credit = 900000.00 WHERE id = 2');
my $iid = json_of(api('/api/v1/addorder', { product => 'VPS 01',
                                            billingcycle => 'monthly' },
                      token => $tok))->{invoiceid};
ok $iid, 'an unpaid invoice';
my $credit0 = sql1('SELECT credit FROM tblclients WHERE id = 2');
my $ncredit0 = sql1('SELECT COUNT(*) FROM tblcredit WHERE clientid = 2');

Apache::TestRequest::module('kdata_pool');
my $pool_host = Apache::TestRequest::hostport();
is api('/api/v1/getproduct', { serviceid => 2 }, token => $tok)->code, 200,
    "the small pool's server answers ($pool_host)";

# The client's row locked until 4 s after the first request began to
# wait on it: the first requests of each process wait on it for
# innodb_lock_wait_timeout (3 s) holding their connections and get 503;
# the ones queued behind them get a connection at 3 s and the lock at 4.
# (A lock held a fixed 5 s from before the requests started let every
# request through when a busy machine started them 2 s late: no 503.)
my $sleep = 'DO SLEEP(60)';
my $pid = background_sql("BEGIN; SELECT id FROM tblclients WHERE id = 2 "
                         . "FOR UPDATE; $sleep; ROLLBACK;");
my $held;
ok wait_until(5, sub { $held = sql1("SELECT ID FROM information_schema."
                                    . "PROCESSLIST WHERE INFO = '$sleep'") }),
    'the row lock is held';
my $releaser = fork // die "fork: $!";
if (!$releaser) {
    wait_until(40, sub { sql1("SELECT VARIABLE_VALUE FROM information_schema."
                              . "GLOBAL_STATUS WHERE VARIABLE_NAME = "
                              . "'INNODB_ROW_LOCK_CURRENT_WAITS'") > 0 });
    Time::HiRes::sleep(4);
    sql("KILL QUERY $held");
    POSIX::_exit(0);
}
my $t0 = time;
my @r = parallel($n, sub {
    api('/api/v1/applycredit', { invoiceid => $iid, amount => '1.00' },
        token => $tok);
});
my $took = time - $t0;
waitpid $releaser, 0;
waitpid $pid, 0;

my @ok = grep { $_->[0] == 200 } @r;
my @busy = grep { $_->[0] == 503 } @r;
is @ok + @busy, $n, sprintf('%d answers: %d x 200, %d x 503, nothing else',
                            $n, scalar @ok, scalar @busy)
    or diag join ' ', map { $_->[0] } @r;
is scalar(grep { $_->[1] eq '{"result":"success","invoiceid":"' . $iid
                 . '","amount":1,"invoicepaid":"false"}' } @ok), @ok,
    'every 200 applied 1.00';
is scalar(grep { my $b = eval { JSON::PP->new->decode($_->[1]) };
                 $b && $b->{result} eq 'error'
                 && $b->{message} eq $down->{message} } @busy), @busy,
    'every 503 is the JSON "try again later"';
ok @busy >= 1, 'the requests that waited out the lock got 503';
# At most 4 processes x 4 connections wait out the lock; the others
# queued for a connection, got one when those answered, and the lock
# soon after.
ok @ok >= $n - 16, 'the requests queued for a connection were served';
ok $took < 25, sprintf('all answered in %.1f s', $took);

# Money: exactly one 1.00 per 200, nothing for a 503.
my $paid = @ok;
is sql1("SELECT credit FROM tblinvoices WHERE id = $iid"),
    sprintf('%.2f', $paid), "the invoice holds $paid.00 of credit";
is sql1('SELECT credit FROM tblclients WHERE id = 2'),
    sprintf('%.2f', $credit0 - $paid), 'the client paid it once';
is sql1('SELECT COUNT(*) FROM tblcredit WHERE clientid = 2') - $ncredit0,
    $paid, 'one tblcredit line per 200';

# --- the pool recovers --------------------------------------------------------------
my $ok = 0;
$ok += api('/api/v1/getproduct', { serviceid => 2 }, token => $tok)->code
       == 200 for 1 .. 10;
is $ok, 10, 'afterwards 10 sequential requests: all 200';
is open_transactions(), 0, 'no transaction left open';
