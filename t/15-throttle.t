# Login throttling across Apache's processes: per client address and per
# account, 429 with Retry-After before any password is checked, and a
# success never resets a victim's counter.  WHMCS's tblbannedips honoured.
# Each scenario logs in from its own loopback address (127.0.0.x), so its
# buckets are its own.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;

plan tests => 22, need_module 'kdata', 'dbd';

my $base = 'http://' . Apache::TestRequest::hostport();
my %ua;
sub login_from {
    my ($addr, $email, $pw) = @_;
    $ua{$addr} ||= LWP::UserAgent->new(local_address => $addr,
                                       keep_alive => 0, timeout => 30);
    return $ua{$addr}->post("$base/login",
                            { email => $email, password => $pw });
}
my $fail = { result => 'error', messages => 'User not exists' };
my $slow = { result => 'error',
             message => 'Too many failed logins, try again later' };

# --- per account (KdataLoginLimitAccount 5 900), from rotating addresses ---------
for my $i (1 .. 5) {
    my $res = login_from("127.0.1.$i", 'usd@example.com', "guess$i");
    is_deeply [$res->code, json_of($res)], [401, $fail], "account: guess $i";
}
my $res = login_from('127.0.1.6', 'usd@example.com', 'usd-pass-8');
is $res->code, 429, 'account: the 6th try is refused, right password or not';
is_deeply json_of($res), $slow, 'account: the 429 body';
ok $res->header('Retry-After') >= 170 && $res->header('Retry-After') <= 180,
    'account: Retry-After about 900 s / 5';
$res = login_from('127.0.1.6', 'USD@example.com', 'usd-pass-8');
is $res->code, 429, 'account: the same account in other letter case';

# the attacker's own successful logins do not reset the victim's bucket
for my $i (1 .. 5) {
    login_from('127.0.2.1', 'manager@example.com', 'manager-pass-7');
}
$res = login_from('127.0.2.1', 'usd@example.com', 'usd-pass-8');
is $res->code, 429, 'account: still refused after the attacker\'s own logins';
$res = login_from('127.0.2.1', 'manager@example.com', 'manager-pass-7');
is $res->code, 200, 'another account from the same address is not affected';

# --- per address (KdataLoginLimitIP 40 600 in the test config) ---------------------
my $ok = 0;
for my $i (1 .. 40) {
    $ok++ if login_from('127.0.3.1', "nobody$i\@example.com", 'x')->code == 401;
}
is $ok, 40, 'address: 40 failures across 40 accounts answered 401';
$res = login_from('127.0.3.1', 'other@example.com', 'other-pass-2');
is $res->code, 429, 'address: the 41st try is refused, even a good one';
ok $res->header('Retry-After') >= 1 && $res->header('Retry-After') <= 15,
    'address: Retry-After at most 600 s / 40';
$res = login_from('127.0.3.2', 'other@example.com', 'other-pass-2');
is $res->code, 200, 'address: another address logs in';

# the counters are shared by every process: many parallel tries, one bucket
my @r = parallel(12, sub {
    my $ua = LWP::UserAgent->new(local_address => '127.0.4.1',
                                 keep_alive => 0);
    $ua->post("$base/login", { email => 'parallel@example.com',
                               password => "p$_[0]" });
});
is scalar(grep { $_->[0] == 401 } @r), 5,
    'parallel: exactly KdataLoginLimitAccount failures get through';
is scalar(grep { $_->[0] == 429 } @r), 7, 'parallel: the rest are throttled';

# --- the log: one line per failure, no password --------------------------------------
my $log = do { local $/; open my $fh, '<', 't/logs/error_log' or die; <$fh> };
like $log, qr/KD00501: login failed from 127\.0\.1\.3 \(wrong password\) for "usd\@example\.com"\n/,
    'each failure logged with its address';
like $log, qr/KD00506: login throttled from 127\.0\.1\.6 \(account\), retry in 1[78]\d s, for "usd\@example\.com"\n/,
    'throttling logged';
unlike $log, qr/guess3/, 'no password in the log';

# --- WHMCS's Ban Control (tblbannedips) -------------------------------------------------
sql("INSERT INTO tblbannedips (ip, reason, expires) VALUES "
    . "('127.0.5.1', 'test', NOW() + INTERVAL 1 HOUR), "
    . "('127.0.5.2', 'test', NOW() - INTERVAL 1 HOUR)");
$res = login_from('127.0.5.1', 'other@example.com', 'other-pass-2');
is_deeply [$res->code, json_of($res)],
    [403, { result => 'error', message => 'Your IP address is banned' }],
    'a banned address: 403, no password checked';
$res = login_from('127.0.5.2', 'other@example.com', 'other-pass-2');
is $res->code, 200, 'an expired ban: normal login';
sql("DELETE FROM tblbannedips WHERE ip LIKE '127.0.5.%'");
