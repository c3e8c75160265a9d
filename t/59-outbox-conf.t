# KdataWhmcsApi's configuration is checked at start-up: httpd refuses to
# start, and says why, on a URL that is not WHMCS's http(s) API, on
# credentials that are missing, malformed or readable by every user, on
# credentials without a URL, and on a backoff that shrinks.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use IO::Socket::INET;

plan tests => 12, need_module 'kdata', 'dbd';

my $httpd = Apache::Test::config()->{vars}{httpd};
my $libexec = Apache::Test::config()->apxs('LIBEXECDIR')
    || '/usr/lib/apache2/modules';
my $dir = tempdir(CLEANUP => 1);
my $port = do {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0')
        or die "no free port: $!";
    $s->sockport;
};

sub write_file {
    my ($name, $text, $mode) = @_;
    open my $fh, '>', "$dir/$name" or die "$name: $!";
    print $fh $text;
    close $fh;
    chmod $mode // 0600, "$dir/$name";
    return "$dir/$name";
}

# httpd in the foreground on a config of our own, with mod_kdata's
# required directives and the lines given: its exit status and output.
sub try_start {
    my ($body) = @_;
    my $conf = write_file('httpd.conf', <<"EOC");
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LoadModule mpm_event_module $libexec/mod_mpm_event.so
LoadModule authz_core_module $libexec/mod_authz_core.so
LoadModule dbd_module $libexec/mod_dbd.so
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
<IfModule !mod_watchdog.c>
LoadModule watchdog_module $libexec/mod_watchdog.so
</IfModule>
LoadModule kdata_module $ENV{KD_TOP}/.libs/mod_kdata.so
DBDriver mysql
KdataTokenSecretFile $ENV{KD_SECRET_FILE}
$body
EOC
    unlink "$dir/error_log";
    my $out = `timeout 20 $httpd -f $conf -DFOREGROUND 2>&1`;
    my $rc = $? >> 8;
    if (open my $fh, '<', "$dir/error_log") { local $/; $out .= <$fh> }
    return ($rc, $out);
}

my $url = 'KdataWhmcsApi https://billing.example.com/includes/api.php';
my $cred = write_file('api.cred', "identifier\nsecret\n");
my @cases = (
    ["$url\n", qr/KD00004: KdataWhmcsApi \S+ needs KdataWhmcsApiCredentials/,
     'a URL without credentials'],
    ["KdataWhmcsApiCredentials $cred\n",
     qr/KD00005: KdataWhmcsApiCredentials \S+api\.cred without KdataWhmcsApi/,
     'credentials without a URL'],
    ["KdataWhmcsApi ftp://billing.example.com/api.php\n",
     qr{KdataWhmcsApi: 'ftp://billing\.example\.com/api\.php' is not an http\(s\) URL},
     'a URL that is not http(s)'],
    ["$url\nKdataWhmcsApiCredentials "
     . write_file('open.cred', "identifier\nsecret\n", 0644) . "\n",
     qr/open\.cred is readable by every user/, 'credentials others can read'],
    ["$url\nKdataWhmcsApiCredentials "
     . write_file('one.cred', "identifier-and-no-secret\n") . "\n",
     qr/one\.cred must hold two lines/, 'credentials of one line'],
    ["$url\nKdataWhmcsApiCredentials $cred\nKdataWhmcsApiBackoff 60 30\n",
     qr/KD00006: KdataWhmcsApiBackoff 60 30/, 'a backoff that shrinks'],
);
for my $c (@cases) {
    my ($rc, $out) = try_start($c->[0]);
    isnt $rc, 0, "$c->[2]: httpd does not start";
    like $out, $c->[1], "$c->[2]: says why";
}
