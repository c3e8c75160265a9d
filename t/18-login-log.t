# The failed-login log line (KD00501) and the fail2ban filter shipped in
# conf/fail2ban/: the address is in a fixed field, the typed email comes
# last, quoted, with every byte that could end the quotes, the line or
# the field written %XX; fail2ban-regex, run on the lines this server
# wrote for hostile emails, finds exactly the real client addresses.
# Each failure comes from its own loopback address (127.0.9.x).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use KData::Test;
use LWP::UserAgent;
use File::Temp ();

plan tests => 34, need_module 'kdata', 'dbd';

my $base = 'http://' . Apache::TestRequest::hostport();
my $logfile = 't/logs/error_log';
my $start = -s $logfile;
my $fail = { result => 'error', messages => 'User not exists' };

# A form body encoded here: LWP's own form encoding would turn a newline
# into CRLF.
sub login_from {
    my ($addr, $email, %h) = @_;
    my $ua = LWP::UserAgent->new(local_address => $addr, keep_alive => 0,
                                 timeout => 30);
    my $enc = $email =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ger;
    return $ua->post("$base/login", %h,
                     'Content-Type' => 'application/x-www-form-urlencoded',
                     Content => "email=$enc&password=x");
}

# The email as the log shows it (what kd_login_logitem writes).
sub logged {
    my $e = shift;
    $e = substr($e, 0, 255);
    $e =~ s/([^A-Za-z0-9\@._+\-!#\$&'*\/=?^`{|}~])/sprintf('%%%02X', ord $1)/ge;
    return $e;
}

# Hostile emails: each tries to make its line name 6.6.6.x instead of
# the client, in the old format, the new one, or as a whole second line.
my $forged = '[Fri Dec 04 16:55:42.745902 2026] [kdata:notice] '
    . '[pid 1:tid 2] [client 6.6.6.6:1] KD00501: login failed from '
    . '6.6.6.6 (wrong password) for "h"';
my @hostile = (
    'x from 6.6.6.1: wrong password',
    'a" from 6.6.6.2 (wrong password) for "b',
    "c\nKD00501: login failed from 6.6.6.3 (unknown email) for \"d\"",
    '] [client 6.6.6.4:1] KD00501: login failed from 6.6.6.4 (x) for "e',
    'f\\" from 6.6.6.5 (\\',
    "g\r\n$forged",
    "i\t6.6.6.7\x0b\x1b[2K",
    "j\xc3\xa9 \xc3\xbc\@example.com from 6.6.6.8",
    '] KD00501: login failed from 6.6.6.9 (' . ('k' x 300),
);
for my $i (1 .. @hostile) {
    my $res = login_from("127.0.9.$i", $hostile[$i - 1]);
    is_deeply [$res->code, json_of($res)], [401, $fail],
        "hostile email $i: the usual 401";
}
# A Referer is appended to the line by httpd, after the message.
my $res = login_from('127.0.9.10', 'referer@example.com',
                     Referer => "x] [client 6.6.6.10:1] KD00501: login "
                              . "failed from 6.6.6.10 (wrong password)");
is $res->code, 401, 'a forged Referer: the usual 401';
# Five failures, then the sixth throttled (KD00506): a throttled attempt
# may be a locked-out victim, so the filter does not count it.
for my $i (1 .. 5) {
    login_from('127.0.9.11', 'locked-log@example.com');
}
$res = login_from('127.0.9.13', 'LOCKED-LOG@example.com');
is $res->code, 429, 'the sixth attempt on an email is throttled';
# A banned address (KD00505): not a failed login either.
sql("INSERT INTO tblbannedips (ip, reason, expires) VALUES "
    . "('127.0.9.12', 'test', NOW() + INTERVAL 1 HOUR)");
$res = login_from('127.0.9.12', '"] KD00501: login failed from 6.6.6.12 (');
is $res->code, 403, 'a banned address: 403';
sql("DELETE FROM tblbannedips WHERE ip = '127.0.9.12'");

open my $fh, '<', $logfile or die "$logfile: $!";
seek $fh, $start, 0;
my @lines = grep { /\] KD005\d\d: / } <$fh>;
close $fh;
my $tmp = File::Temp->new(SUFFIX => '.log');
print $tmp @lines;
close $tmp;

# --- the lines, exactly ------------------------------------------------------------
my $prefix = qr/^\[[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{6} \d{4}\] \[kdata:notice\] \[pid \d+:tid \d+\] /;
for my $i (1 .. @hostile) {
    my @mine = grep { /\[client 127\.0\.9\.$i:\d+\] / } @lines;
    my $why = $i == 9 ? 'email too long' : 'unknown email';
    is_deeply [map { s/$prefix\[client [^\]]+\] //r } @mine],
        ["KD00501: login failed from 127.0.9.$i ($why) for \""
         . logged($hostile[$i - 1]) . "\"\n"],
        "hostile email $i: one line, address first, email quoted last";
}
like $lines[0], qr/${prefix}\[client 127\.0\.9\.1:\d+\] KD00501: login failed from 127\.0\.9\.1 \(unknown email\) for "x%20from%206\.6\.6\.1%3A%20wrong%20password"\n\z/,
    'the first, in full';
like join('', @lines),
    qr/\] KD00501: login failed from 127\.0\.9\.3 \(unknown email\) for "c%0AKD00501%3A%20login%20failed%20from%206\.6\.6\.3%20%28unknown%20email%29%20for%20%22d%22"\n/,
    'a newline, colon, parentheses and quotes in the email: %XX';
like join('', @lines),
    qr/\] KD00501: login failed from 127\.0\.9\.8 \(unknown email\) for "j%C3%A9%20%C3%BC\@example\.com%20from%206\.6\.6\.8"\n/,
    'non-ASCII bytes: %XX';
is scalar(grep { !/^\[/ || tr/\n// != 1 } @lines), 0,
    'every line is a whole log line';
like join('', @lines),
    qr/KD00501: login failed from 127\.0\.9\.10 \(unknown email\) for "referer\@example\.com", referer: x\] \[client 6\.6\.6\.10:1\] KD00501: login failed from 6\.6\.6\.10 \(wrong password\)\n/,
    'the Referer comes after the message';
like join('', @lines),
    qr/KD00506: login throttled from 127\.0\.9\.13 \(unknown email\), retry in 1[78]\d s, for "LOCKED-LOG\@example\.com"\n/,
    'the throttled attempt: KD00506, quoted the same way';
like join('', @lines),
    qr/KD00505: login refused from 127\.0\.9\.12 \(banned in tblbannedips\) for "%22%5D%20KD00501%3A%20login%20failed%20from%206\.6\.6\.12%20%28"\n/,
    'the banned address: KD00505, quoted the same way';
is scalar(grep { /\[client 127\.0\.9\.11:/ && /KD00501/ } @lines), 5,
    'five failures of one address, five lines';
is scalar(grep { /^\[[^\]]+\] \[[^\]]+\] \[pid [^\]]+\] (?:\S+ )?\[client 6\./ }
          @lines), 0,
    'httpd\'s own client field is never forged';

# --- fail2ban ---------------------------------------------------------------------------
SKIP: {
    my $f2b = `sh -c 'command -v fail2ban-regex' 2>/dev/null`;
    chomp $f2b;
    skip 'fail2ban-regex not installed (Debian package fail2ban)', 4
        unless $f2b;
    my $filter = ($ENV{KD_TOP} || '.') . '/conf/fail2ban/filter.d/kdata.conf';
    ok -r $filter, 'the filter ships in conf/fail2ban/filter.d';
    my @hosts = sort grep { /\S/ } map { s/\s+\z//r }
        `'$f2b' -r -o ip '$tmp' '$filter' 2>/dev/null`;
    is $?, 0, 'fail2ban-regex ran';
    my @want = sort((map { "127.0.9.$_" } 1 .. 10),
                    ('127.0.9.11') x 5);
    is_deeply \@hosts, \@want,
        'fail2ban finds exactly the real client addresses, once per failure';
    is scalar(grep { /^6\.6\.6/ } @hosts), 0, 'and none of the forged ones';
}
