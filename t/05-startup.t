# httpd refuses to start without a usable key or without mod_dbd, and says
# why (contract section 2).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestConfig ();
use File::Temp qw(tempdir);
use IO::Socket::INET;

plan tests => 12, need_module 'kdata', 'dbd';

my $vars = Apache::Test::config()->{vars};
my $httpd = $vars->{httpd};
my $libexec = Apache::Test::config()->apxs('LIBEXECDIR')
    || '/usr/lib/apache2/modules';
my $so = "$ENV{KD_TOP}/.libs/mod_kdata.so";
my $dir = tempdir(CLEANUP => 1);
my $port = do {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0')
        or die "no free port: $!";
    $s->sockport;
};

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$name: $!";
    print $fh $text;
    close $fh;
    return "$dir/$name";
}

# Starts httpd in the foreground on a config of our own; returns its exit
# status and everything it wrote.
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
$body
EOC
    unlink "$dir/error_log";
    my $out = `timeout 20 $httpd -f $conf -DFOREGROUND 2>&1`;
    my $rc = $? >> 8;
    if (open my $fh, '<', "$dir/error_log") { local $/; $out .= <$fh> }
    return ($rc, $out);
}

my $shm = "LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so\n";
my $dbd = "LoadModule dbd_module $libexec/mod_dbd.so\n${shm}DBDriver mysql\n";
my $kdata = "LoadModule kdata_module $so\n";

my $short = write_file('short.key', "only-twenty-bytes-xx\n");
my ($rc, $out) = try_start("$dbd$kdata KdataTokenSecretFile $short\n");
isnt $rc, 0, 'short key: httpd does not start';
like $out, qr/KdataTokenSecretFile: the key in \S+short\.key is 20 bytes; HS256 needs at least 32/,
    'short key: says why (the newline is not key)';

($rc, $out) = try_start("$dbd$kdata KdataTokenSecretFile $dir/none.key\n");
isnt $rc, 0, 'missing key file: httpd does not start';
like $out, qr/KdataTokenSecretFile: cannot open \S+none\.key/,
    'missing key file: says why';

my $ok = write_file('ok.key', ('k' x 32) . "\n");
($rc, $out) = try_start("$dbd$kdata\n");
isnt $rc, 0, 'no KdataTokenSecretFile: httpd does not start';
like $out, qr/KD00002: KdataTokenSecretFile is required/,
    'no KdataTokenSecretFile: says why';

($rc, $out) = try_start("$kdata KdataTokenSecretFile $ok\n");
isnt $rc, 0, 'without mod_dbd: httpd does not start';
like $out, qr/KD00001: mod_kdata needs mod_dbd/, 'without mod_dbd: says why';

($rc, $out) = try_start("LoadModule dbd_module $libexec/mod_dbd.so\n"
                        . "$kdata KdataTokenSecretFile $ok\n");
isnt $rc, 0, 'without a socache provider: httpd does not start';
like $out, qr/KD00021: KdataCache: no socache provider 'shmcb'/,
    'without a socache provider: says why';

($rc, $out) = try_start("$dbd$kdata KdataTokenSecretFile $ok\n"
                        . "KdataTokenTTL 10\n");
like $out, qr/KdataTokenTTL: '10' is not a whole number from 60/,
    'KdataTokenTTL below a minute is refused';

write_file('httpd.conf', "ServerRoot \"$dir\"\nServerName 127.0.0.1\n"
    . "Listen 127.0.0.1:$port\nPidFile \"$dir/httpd.pid\"\n"
    . "ErrorLog \"$dir/error_log\"\n"
    . "LoadModule mpm_event_module $libexec/mod_mpm_event.so\n"
    . "LoadModule authz_core_module $libexec/mod_authz_core.so\n"
    . "$dbd$kdata KdataTokenSecretFile $ok\n");
my $t = `timeout 20 $httpd -f $dir/httpd.conf -t 2>&1`;
like $t, qr/Syntax OK/, 'a 32-byte key is accepted';
