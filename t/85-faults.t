# Database faults while requests run: a row lock held elsewhere, a
# connection killed mid-transaction, no connections left, and a graceful
# restart under load.  Every one ends in a prompt 503 JSON answer (or
# success), never a half-applied write or a connection left inside a
# transaction.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use HTTP::Response;
use Time::HiRes qw(time);

plan tests => 16, need_module 'kdata', 'dbd';

my $dir = $ENV{KD_DB_DIR};
my $db = $ENV{KD_DB_NAME};
my $down = { result => 'error',
             message => 'Service temporarily unavailable, try again later' };
setting(NoAutoApplyCredit => 'on');
my $tok2 = mint(sub => 2);

# --- a row lock held elsewhere: bounded by innodb_lock_wait_timeout (3 s here)
my $res = api('/api/v1/addorder', { product => 'VPS 01',
                                    billingcycle => 'monthly' },
              token => $tok2);
my $iid = json_of($res)->{invoiceid};
sql('UPDATE tblclients SET credit = 300000.00 WHERE id = 2');
my $pid = background_sql("BEGIN; SELECT id FROM tblclients WHERE id = 2 "
                         . "FOR UPDATE; DO SLEEP(6); ROLLBACK;");
my $c0 = counts();
my $t0 = time;
$res = api('/api/v1/applycredit', { invoiceid => $iid }, token => $tok2);
my $took = time - $t0;
waitpid $pid, 0;
is_deeply [$res->code, json_of($res)], [503, $down],
    'row locked elsewhere: 503';
is $res->header('Retry-After'), 5, 'row locked: Retry-After';
ok $took >= 2 && $took < 6, sprintf('row locked: answered in %.1f s', $took);
is_deeply counts(), $c0, 'row locked: nothing written';
$res = api('/api/v1/applycredit', { invoiceid => $iid }, token => $tok2);
is json_of($res)->{invoicepaid}, 'true', 'lock gone: the same request works';

# --- the connection killed in the middle of an order ------------------------------------
sql("CREATE TRIGGER kd_test_slow BEFORE INSERT ON tblinvoiceitems "
    . "FOR EACH ROW SET \@kd_slow = SLEEP(4)");
$c0 = counts();
$pid = fork // die;
if (!$pid) {
    select undef, undef, undef, 1.5;
    # Inside the trigger the thread shows its definer (the admin) as
    # user, and the trigger's statement as what it runs.
    my $id = sql1("SELECT ID FROM information_schema.PROCESSLIST WHERE "
                  . "INFO = 'SET \@kd_slow = SLEEP(4)'");
    sql("KILL $id") if $id;
    POSIX::_exit($id ? 0 : 1);
}
$res = api('/api/v1/addorder', { product => 'VPS 01',
                                 billingcycle => 'monthly' }, token => $tok2);
waitpid $pid, 0;
is $? >> 8, 0, 'killed: the order\'s connection was found and killed';
sql('DROP TRIGGER kd_test_slow');
is_deeply [$res->code, json_of($res)], [503, $down], 'killed: 503';
is_deeply counts(), $c0, 'killed mid-transaction: no partial order';
my $ok = 0;
$ok += api('/api/v1/getproduct', { serviceid => 2 }, token => $tok2)->code
       == 200 for 1 .. 10;
is $ok, 10, 'killed: the next requests work';

# --- errors inside transactions leave none open ----------------------------------------
api('/api/v1/addorder', { product => 'VPS 01', billingcycle => 'monthly' },
    token => mint(sub => 6));                       # 409 inside the txn
api('/api/v1/applycredit', { invoiceid => 3 }, token => mint(sub => 1));
api('/api/v1/cancelrequest', { serviceid => 2, reason => 'x' },
    token => mint(sub => 1));                       # 403 inside the txn
is open_transactions(), 0, 'no transaction left open on a pooled connection';

# --- no connections to be had (the account's connection limit reached) ---------
my $port = $ENV{KD_DB_PORT};
sql("GRANT USAGE ON *.* TO 'kdata'\@'127.0.0.1' WITH MAX_USER_CONNECTIONS 1");
# The one connection the account may have is the sleeper's.  Another
# connection of the account (a pool's, or the outbox delivery's, which
# connects on its own once a second) can hold the one slot at the moment
# the sleeper connects, which then fails at once: start it again until
# it holds the slot (a loaded machine can also take more than a moment
# to start the client), then end the pool's idle ones.
sub sleeper_holds {
    sql1("SELECT COUNT(*) FROM information_schema.PROCESSLIST "
         . "WHERE USER = 'kdata' AND INFO LIKE 'DO SLEEP%'");
}
sub kill_idle {
    sql("KILL $_->[0]") for @{ sql("SELECT ID FROM information_schema."
                                   . "PROCESSLIST WHERE USER = 'kdata' "
                                   . "AND INFO IS NULL") };
}
for my $try (1 .. 10) {
    kill_idle() if $try > 1;
    $pid = fork // die;
    if (!$pid) {
        {
            no warnings 'exec';
            exec 'mariadb', '--no-defaults', '-h', '127.0.0.1', '-P', $port,
                '-u', 'kdata', '-pkdata-test', '-e', 'DO SLEEP(4)';
        }
        POSIX::_exit(1);
    }
    for (1 .. 40) {
        last if sleeper_holds() || waitpid($pid, POSIX::WNOHANG()) == $pid;
        select undef, undef, undef, 0.05;
    }
    last if sleeper_holds();
    waitpid $pid, 0;
}
kill_idle();
$t0 = time;
$res = api('/api/v1/getproduct', { serviceid => 2 }, token => $tok2);
$took = time - $t0;
is_deeply [$res->code, json_of($res)], [503, $down],
    'no connection to be had: 503';
ok $took < 3, sprintf('no connection: answered in %.2f s', $took);
waitpid $pid, 0;
sql("GRANT USAGE ON *.* TO 'kdata'\@'127.0.0.1' WITH MAX_USER_CONNECTIONS 0");
$res = api('/api/v1/getproduct', { serviceid => 2 }, token => $tok2);
is $res->code, 200, 'connections back: 200';

# --- graceful restart under load ---------------------------------------------------------------
my $pidfile = Apache::Test::vars('serverroot') . '/logs/httpd.pid';
open my $pf, '<', $pidfile or die "$pidfile: $!";
chomp(my $httpd = <$pf>);
my $killer = fork // die;
if (!$killer) {
    select undef, undef, undef, 1.0;
    kill 'USR1', $httpd;
    POSIX::_exit(0);
}
my @r = parallel(8, sub {
    my $n = 0;
    for (1 .. 40) {
        $n++ if api('/api/v1/getproduct', { serviceid => 2 },
                    token => $tok2)->code == 200;
    }
    HTTP::Response->new(200, 'OK', undef, $n);
});
waitpid $killer, 0;
is_deeply [map { $_->[1] } @r], [(40) x 8],
    'graceful restart under load: all 320 requests answered 200';
like do { local $/; open my $fh, '<', 't/logs/error_log'; <$fh> },
    qr/SIGUSR1 received|Graceful restart requested/,
    'a graceful restart did happen';
is api('/api/v1/getproduct', { serviceid => 2 }, token => $tok2)->code, 200,
    'after the restart: 200';
