# Login throttling across Apache's processes: per client address and per
# account, 429 with Retry-After before any password is checked, and a
# success never resets a victim's counter.  The account is the one the
# lookup finds, whatever the spelling; an unknown email is throttled the
# same way without touching any account.  WHMCS's tblbannedips honoured.
# Each scenario logs in from its own loopback address (127.0.x.y), so its
# buckets are its own.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use List::Util qw(min);
use Time::HiRes ();

plan tests => 75, need_module 'kdata', 'dbd';

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

# --- the account the lookup finds, whatever the spelling ----------------------------
# WHMCS compares emails under utf8_unicode_ci, which ignores letter case,
# accents and trailing spaces: every spelling that reaches an account is
# that account, for its bucket too.  (This file has no "use utf8": the
# accented emails are UTF-8 bytes, sent as %C3%A9 and so on.)
my $pw2 = '$2y$10$QChtMhxiXX3H6wrrgIZaeuyR6cPy5mC8Q.YeYu6kZ77rCXK6UqkrC';
add_account(60, 'lockme@example.com', $pw2);      # password other-pass-2
for my $i (1 .. 5) {
    my $res = login_from("127.0.6.$i", 'lockme@example.com', "guess$i");
    is_deeply [$res->code, json_of($res)], [401, $fail], "spelling: guess $i";
}
for my $v ('lockme@example.com', 'LockMe@Example.COM', 'lockme@example.com ',
           'lockmé@example.com', 'LÖCKMÉ@example.com   ') {
    my $res = login_from('127.0.6.9', $v, 'other-pass-2');
    is_deeply [$res->code, json_of($res)], [429, $slow],
        "spelling: '$v' is the locked account, right password or not";
    my $ra = $res->header('Retry-After') // 0;
    ok $ra >= 170 && $ra <= 180, "spelling: '$v': Retry-After $ra";
}
# The bucket is the account's row in the WHMCS database: five failures,
# no check in flight; and the cache that used to hold it can be lost.
my $acct = schema_flavour() eq 'whmcs7' ? 'c:60' : 'u:60';
is_deeply sql("SELECT ROUND(level / 1000), (SELECT COUNT(*) FROM "
              . "mod_kdata_login_holds h WHERE h.account = f.account) FROM "
              . "mod_kdata_login_failures f WHERE account = '$acct'"),
    [[5, 0]], 'the account\'s bucket: a row of mod_kdata_login_failures';
add_account(61, 'spread@example.com', $pw2);
my @spellings = ('spread@example.com', 'SPREAD@example.com',
                 'spread@example.com ', 'sprèad@example.com',
                 'SPRÉAD@EXAMPLE.COM  ');
for my $i (0 .. 4) {
    my $res = login_from("127.0.6.1$i", $spellings[$i], "guess$i");
    is_deeply [$res->code, json_of($res)], [401, $fail],
        "spelling: guess as '$spellings[$i]'";
}
$res = login_from('127.0.6.19', 'spread@example.com', 'other-pass-2');
is_deeply [$res->code, json_of($res)], [429, $slow],
    'spelling: guesses under five spellings fill one bucket';

# A failure the database cannot record is not answered as one: 503, so a
# broken table cannot lift the limit.
sql("DELIMITER //\nCREATE TRIGGER kd_no_fail BEFORE UPDATE ON "
    . "mod_kdata_login_failures FOR EACH ROW BEGIN IF NEW.level > "
    . "OLD.level THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = "
    . "'test: failure refused'; END IF; END//\nDELIMITER ;\nSELECT 1");
$res = login_from('127.0.6.20', 'spread@example.com ', 'guess-x');
is $res->code, 429, 'still locked while the table refuses writes';
add_account(65, 'unrecorded@example.com', $pw2);
$res = login_from('127.0.6.21', 'unrecorded@example.com', 'guess-y');
sql('DROP TRIGGER kd_no_fail');
is_deeply [$res->code, json_of($res)],
    [503, { result => 'error', message => 'Service temporarily '
            . 'unavailable, try again later' }],
    'a failure the database cannot record: 503, not 401';

# --- checks that never gave their slot back (a process killed mid-check,
# the database gone before the verdict): each such hold stops counting at
# its own deadline, however often the account logs in meanwhile.
add_account(67, 'leaky@example.com', $pw2);
my $a67 = schema_flavour() eq 'whmcs7' ? 'c:67' : 'u:67';
my $us = sub { sprintf '%.0f', (Time::HiRes::time() + $_[0]) * 1e6 };
my $dead = sub {
    my ($until, @slots) = @_;
    sql("INSERT INTO mod_kdata_login_holds (account, slot, until) VALUES "
        . join(', ', map { "('$a67', $_, $until)" } @slots));
};
sql("INSERT INTO mod_kdata_login_failures (account, level, at, expires) "
    . "VALUES ('$a67', 0, 0, UNIX_TIMESTAMP() + 900)");
$dead->($us->(2), 0 .. 4);
my $t0 = Time::HiRes::time();
$res = login_from('127.0.6.30', 'leaky@example.com', 'other-pass-2');
my $dt = Time::HiRes::time() - $t0;
is $res->code, 200, 'five dead holds (limit 5): the login is let in ...';
ok $dt >= 1.5 && $dt < 6, sprintf('... once they expire (%.2f s)', $dt);
sql("DELETE FROM mod_kdata_login_holds WHERE account = '$a67'");
# Four dead holds, then logins for 3 s: each takes and frees a slot of
# its own; the four still expire on time, so one more dead hold leaves
# room (a deadline shared by the row, renewed by every login, kept them
# counted and locked the account out).
$dead->($us->(1.5), 0 .. 3);
my @codes;
my $t_end = Time::HiRes::time() + 3;
while (Time::HiRes::time() < $t_end) {
    push @codes, login_from('127.0.6.31', 'leaky@example.com',
                            'other-pass-2')->code;
    Time::HiRes::sleep(0.1);
}
is scalar(grep { $_ != 200 } @codes), 0,
    sprintf('%d logins while four dead holds expire: all 200', scalar @codes);
$dead->($us->(60), 15);
$t0 = Time::HiRes::time();
$res = login_from('127.0.6.32', 'leaky@example.com', 'other-pass-2');
$dt = Time::HiRes::time() - $t0;
ok $res->code == 200 && $dt < 1.5,
    sprintf('then one more dead hold: let in at once (%d, %.2f s)',
            $res->code, $dt);
is sql1("SELECT COUNT(*) FROM mod_kdata_login_holds WHERE account = "
        . "'$a67' AND until >= " . $us->(0)), 1,
    'one live hold: the dead one; every check freed its own';
sql("DELETE FROM mod_kdata_login_failures WHERE account = '$a67'");
is sql1("SELECT COUNT(*) FROM mod_kdata_login_holds WHERE account = "
        . "'$a67'"), 0, 'the purge of an account\'s row takes its holds';

# --- the highest limits: the drain since a row's time 0 stays in range -------------------
# 100000 failures a day: a new account's first failures are each checked
# (401), and its right password logs in (with the drain computed as
# elapsed x limit it overflowed 64 bits: 429 "retry in 48216585 s").
Apache::TestRequest::module('kdata_limits');
add_account(66, 'highlimit@example.com', $pw2);
my @hl = map {
    api('/login', { email => 'highlimit@example.com', password => "g$_" })
} 1 .. 2;
is_deeply [map { $_->code } @hl], [401, 401],
    'limit 100000/day: wrong passwords are checked, not throttled';
is api('/login', { email => 'highlimit@example.com',
                   password => 'other-pass-2' })->code, 200,
    '... and the right one logs in';
is sql1("SELECT ROUND(level / 1000) FROM mod_kdata_login_failures WHERE "
        . "account = '" . (schema_flavour() eq 'whmcs7' ? 'c:66' : 'u:66')
        . "'"), 2, '... with its two failures counted';
Apache::TestRequest::module('default');

# --- an email no account has ------------------------------------------------------
# Throttled as an account would be (the answers do not tell that it has
# none), its spellings together as an account's are ...
for my $i (1 .. 5) {
    my $res = login_from("127.0.7.$i", 'ghost@example.com', "guess$i");
    is_deeply [$res->code, json_of($res)], [401, $fail], "unknown: guess $i";
}
for my $v ('ghost@example.com', 'GHOST@example.com ', 'ghöst@example.com') {
    my $res = login_from('127.0.7.9', $v, 'x');
    is_deeply [$res->code, json_of($res)], [429, $slow],
        "unknown: '$v' throttled like an account";
    my $ra = $res->header('Retry-After') // 0;
    ok $ra >= 170 && $ra <= 180, "unknown: '$v': Retry-After $ra";
}
# ... and its failures count against no account: near-misses of a real
# email, failed over and over, leave the account with an empty bucket.
add_account(62, 'near@example.com', $pw2);
my $ok401 = 0;
for my $e ('near@example.co', 'near@example.com.', 'nearr@example.com',
           'nea@example.com', 'near@exampl.com') {
    for my $i (1 .. 3) {
        $ok401++ if login_from('127.0.7.10', $e, 'other-pass-2')->code == 401;
    }
}
is $ok401, 15, 'unknown: 15 failures on near-misses, all 401';
for my $i (1 .. 4) {
    my $res = login_from('127.0.7.11', 'near@example.com', "guess$i");
    is $res->code, 401, "unknown: the account still takes guess $i";
}
$res = login_from('127.0.7.10', 'near@example.com', 'other-pass-2');
is $res->code, 200, 'unknown: and its password, from the same address';

# --- timing: an unknown email costs what a known one does ---------------------------
# A bcrypt either way (a legacy MD5 hash is checked in microseconds, then
# a bcrypt is paid as well).  The fastest of a few tries is compared, as
# load only ever slows a request down.
add_account(63, 'timing@example.com', $pw2);
add_account(64, 'timing-md5@example.com', '5f4dcc3b5aa765d61d8327deb882cf99');
my (%t);
for my $i (1 .. 4) {
    for my $e (['known', 'timing@example.com'],
               ['legacy', 'timing-md5@example.com'],
               ['unknown', "timing$i\@example.com"]) {
        my $t0 = Time::HiRes::time();
        my $code = login_from("127.0.7.2$i", $e->[1], "guess$i")->code;
        push @{ $t{$e->[0]} }, Time::HiRes::time() - $t0;
        die "timing: $e->[1]: $code" unless $code == 401;
    }
}
my %fast = map { $_ => min(@{ $t{$_} }) } keys %t;
my $fig = join ', ', map { sprintf '%s %.0f ms', $_, 1000 * $fast{$_} }
    sort keys %fast;
ok $fast{unknown} >= 0.5 * $fast{known}, "timing: unknown not faster ($fig)";
ok $fast{known} >= 0.5 * $fast{unknown}, "timing: known not faster ($fig)";
ok $fast{legacy} >= 0.5 * $fast{unknown},
    "timing: legacy hash not faster ($fig)";

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
