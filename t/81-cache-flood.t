# A flood of ordinary and hostile traffic cannot switch a protection
# off.  Before: a token logged out, an account locked by wrong
# passwords, an order answered for an Idempotency-Key, a client at its
# order limit.  Then thousands of requests of every kind that used to
# push those out of the shared cache (shmcb keeps a few dozen entries
# per subcache and silently drops the oldest): orders with fresh
# Idempotency-Keys, correct logins, failed logins for unknown emails
# from many addresses (about 1,300 requests, 1,000 new keys).  After: every protection still holds, because
# each lives in the WHMCS database (conf/mod_kdata.sql, tblorders), and
# the cache holds only what failed logins wrote.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use File::Temp ();
use POSIX ();
use Time::HiRes qw(time);

plan tests => 12, need_module 'kdata', 'dbd';

my $base = 'http://' . Apache::TestRequest::hostport();
my $invalid = { result => 'error', error => 'token invalid' };
my $slow_login = { result => 'error',
                   message => 'Too many failed logins, try again later' };
my $slow_order = { result => 'error',
                   message => 'Too many orders, try again later' };
my %order = (product => 'VPS 01', billingcycle => 'monthly');
# The password "other-pass-2" at bcrypt cost 10, as WHMCS stores it.
my $hash = '$2y$10$QChtMhxiXX3H6wrrgIZaeuyR6cPy5mC8Q.YeYu6kZ77rCXK6UqkrC';
setting(NoAutoApplyCredit => 'on');

sub orders { sql1("SELECT COUNT(*) FROM tblorders WHERE userid = $_[0]") }

# $n requests by $workers processes, each on its own keep-alive
# connection; $code->($ua, $i) sends request $i.  The statuses, tallied.
sub flood {
    my ($workers, $n, $code) = @_;
    my @kids;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    for my $w (0 .. $workers - 1) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            my %ua;
            my %seen;
            for (my $i = $w; $i < $n; $i += $workers) {
                my $res = $code->(\%ua, $i);
                $seen{ $res->code }++;
            }
            open my $fh, '>', "$dir/$w" or POSIX::_exit(1);
            print $fh map { "$_ $seen{$_}\n" } keys %seen;
            close $fh;
            POSIX::_exit(0);
        }
        push @kids, $pid;
    }
    waitpid $_, 0 for @kids;
    my %all;
    for my $w (0 .. $workers - 1) {
        open my $fh, '<', "$dir/$w" or die "worker $w wrote nothing";
        while (<$fh>) { my ($c, $k) = split; $all{$c} += $k }
    }
    return join ', ', map { "$_ x$all{$_}" } sort keys %all;
}

# A user agent per local address, kept for keep-alive.
sub ua_from {
    my ($uas, $addr) = @_;
    return $uas->{$addr} //= LWP::UserAgent->new(
        local_address => $addr, keep_alive => 1, timeout => 60);
}

# --- before ---------------------------------------------------------------------
add_account(9301, 'flood-locked@example.com', $hash);
add_account(9302, 'flood-orders@example.com', $hash);
add_account(9303, 'flood-limit@example.com', $hash);
add_account(9304, 'flood-busy@example.com', $hash);

my $revoked = login_token('flood-busy@example.com', 'other-pass-2');
is api('/logout', undef, token => $revoked)->code, 200, 'a token logged out';

my $ua = LWP::UserAgent->new(local_address => '127.0.11.1', keep_alive => 0);
my @guess = map {
    $ua->post("$base/login", { email => 'flood-locked@example.com',
                               password => "wrong$_" })->code
} 1 .. 6;
is_deeply \@guess, [401, 401, 401, 401, 401, 429],
    'an account locked after 5 wrong passwords';

my $key = "flood-key-$$";
my $tok = mint(sub => 9302);
my $first = api('/api/v1/addorder', \%order, token => $tok,
                headers => { 'Idempotency-Key' => $key });
is $first->code, 200, 'an order answered for an Idempotency-Key';

my $ltok = mint(sub => 9303);
my @lim = map { api('/kdata/api/v1/addorder', \%order, token => $ltok)->code }
    1 .. 4;
is_deeply \@lim, [200, 200, 200, 429], 'a client at its order limit (3/min)';
my $t0 = time;

# --- the flood ------------------------------------------------------------------
my $ftok = mint(sub => 9304);
my %seen;
$seen{orders} = flood(4, 1000, sub {
    my ($uas, $i) = @_;
    my $u = ua_from($uas, '127.0.0.1');
    $u->post("$base/api/v1/addorder", \%order,
             Authorization => "Bearer $ftok",
             'Idempotency-Key' => "flood-$$-$i");
});
$seen{logins} = flood(2, 60, sub {
    my ($uas, $i) = @_;
    ua_from($uas, '127.0.12.1')->post("$base/login", {
        email => 'flood-busy@example.com', password => 'other-pass-2' });
});
$seen{failures} = flood(2, 200, sub {
    my ($uas, $i) = @_;
    ua_from($uas, '127.0.13.' . (1 + $i % 20))->post("$base/login", {
        email => "flood-nobody-$i\@example.com", password => 'x' });
});
my $took = time - $t0;
diag sprintf 'flood in %.1f s: 1000 keyed orders (%s), 60 correct logins '
    . '(%s), 200 failed logins of unknown emails from 20 addresses (%s)',
    $took, @seen{qw(orders logins failures)};
is $seen{orders}, '200 x1000', 'the flood: 1000 orders with fresh keys';
is $seen{logins}, '200 x60', '... 60 correct logins';
is $seen{failures}, '401 x200', '... 200 failed logins';

# --- after ----------------------------------------------------------------------
my $res;
SKIP: {
    skip sprintf('the flood took %.0f s, past the order window', $took), 1
        if time - $t0 > 55;
    $res = api("/kdata/api/v1/addorder", \%order, token => $ltok);
    is_deeply [$res->code, json_of($res)], [429, $slow_order],
        'after: the client is still at its order limit';
}

$res = api("/api/v1/getproduct", { serviceid => 2 }, token => $revoked);
is_deeply [$res->code, json_of($res)], [401, $invalid],
    'after: the logged-out token is still refused';

$res = $ua->post("$base/login", { email => 'flood-locked@example.com',
                                  password => 'other-pass-2' });
is_deeply [$res->code, json_of($res)], [429, $slow_login],
    'after: the locked account is still locked, right password or not';

my $n = orders(9302);
my $again = api('/api/v1/addorder', \%order, token => $tok,
                headers => { 'Idempotency-Key' => $key });
is_deeply [$again->code, $again->header('Idempotent-Replayed'),
           $again->content],
    [200, 'true', $first->content],
    'after: the Idempotency-Key replays its first answer';
is orders(9302), $n, '... and buys nothing';

