# Every way an administrator mounts the API (issue 10 part 1): routes
# hang below the section that holds SetHandler kdata, whether or not a
# Kdata directive is in it too (mod_kdata.c: kd_set_handler).
#
# The layouts run in an httpd of their own, one <VirtualHost> per layout
# on a port of its own, against the suite's database: the suite's own
# server has <Location "/"> and <Location "/kdata"> (with KdataMaxBody)
# in its main server, and httpd merges a main server's <Location>
# sections into every virtual host, so no layout there could be seen
# alone.  The sections that cannot mount the API are refused when httpd
# reads its configuration (KD00003), which `httpd -t` shows as well.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use KData::Test;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes ();

my $tok = mint(sub => 1);
my $not_found = '{"result":"error","message":"Not found"}';
my $too_large = '{"result":"error","message":"Request body too large"}';

# name => [ the virtual host's sections, where the API hangs,
#           [ a path below the API and a body size that is 413 there ] ]
# A layout "+kd" has a Kdata directive in its block, one without none.
my @layouts = (
    ['location /' => '<Location "/">
    SetHandler kdata
</Location>', '/'],
    ['location / +kd' => '<Location "/">
    SetHandler kdata
    KdataMaxBody 1024
</Location>', '/', ['/api/v1/getproduct', 1100]],
    ['location /kdata' => '<Location "/kdata">
    SetHandler kdata
</Location>', '/kdata/'],
    ['location /kdata +kd' => '<Location "/kdata">
    SetHandler kdata
    KdataMaxBody 1024
</Location>', '/kdata/', ['/kdata/api/v1/getproduct', 1100]],
    ['location /kdata/' => '<Location "/kdata/">
    SetHandler kdata
</Location>', '/kdata/'],
    ['location /kdata/ +kd' => '<Location "/kdata/">
    SetHandler kdata
    KdataMaxBody 1024
</Location>', '/kdata/', ['/kdata/login', 1100]],
    # The virtual host itself: the whole URL space.
    ['virtualhost' => 'SetHandler kdata', '/'],
    ['virtualhost +kd' => "SetHandler kdata\nKdataMaxBody 1024", '/',
     ['/login', 1100]],
    # A later section over part of the API, without SetHandler: a limit
    # for api/v1 (a Kdata directive, also in a <LocationMatch>) or
    # access control (none).  Routes still hang below /kdata.
    ['nested /kdata/api +kd' => '<Location "/kdata">
    SetHandler kdata
</Location>
<Location "/kdata/api">
    KdataMaxBody 1024
</Location>', '/kdata/', ['/kdata/api/v1/getproduct', 1100]],
    ['nested /kdata/api' => '<Location "/kdata">
    SetHandler kdata
</Location>
<Location "/kdata/api">
    Require all granted
</Location>', '/kdata/'],
    ['nested LocationMatch +kd' => '<Location "/kdata">
    SetHandler kdata
</Location>
<LocationMatch "^/kdata/api/">
    KdataMaxBody 1024
</LocationMatch>
<LocationMatch "^/kdata/static/">
    SetHandler none
</LocationMatch>', '/kdata/', ['/kdata/api/v1/getproduct', 1100]],
    # Two mounts, one inside the other: each request's routes hang below
    # the innermost, the last section httpd merges that sets a handler.
    ['nested mounts' => '<Location "/kdata">
    SetHandler kdata
</Location>
<Location "/kdata/v2">
    SetHandler kdata
</Location>', '/kdata/v2/'],
    ['nested mounts +kd' => '<Location "/kdata">
    SetHandler kdata
    KdataMaxBody 4096
</Location>
<Location "/kdata/v2">
    SetHandler kdata
    KdataMaxBody 1024
</Location>', '/kdata/v2/', ['/kdata/v2/login', 1100]],
    # SetHandler in an <If> hangs the routes below the <Location> round it.
    ['if in location' => '<Location "/kdata">
    <If "true">
        SetHandler kdata
    </If>
</Location>', '/kdata/'],
    ['if in location +kd' => '<Location "/kdata">
    KdataMaxBody 1024
    <If "true">
        SetHandler kdata
    </If>
</Location>', '/kdata/', ['/kdata/api/v1/getproduct', 1100]],
);

# Each layout: login, an operation, /kdata/... below the mount, and the
# same outside it, plus the directive's limit where there is one.
my $checks = 0;
$checks += 5 + ($_->[2] ne '/' ? 1 : 0) + ($_->[3] ? 1 : 0) for @layouts;
plan tests => $checks + 2 * 6 + 6, need_module 'kdata', 'dbd';

my $vars = Apache::Test::config()->{vars};
my $httpd = $vars->{httpd};
my $libexec = Apache::Test::config()->apxs('LIBEXECDIR')
    || '/usr/lib/apache2/modules';
my $so = "$ENV{KD_TOP}/.libs/mod_kdata.so";
my $dir = tempdir(CLEANUP => 1);
mkdir "$dir/htdocs" or die;
mkdir "$dir/htdocs/ht" or die;

# n ports nobody listens on, all different (held open until all are
# found, so the kernel cannot hand one out twice).
sub free_ports {
    my @s = map {
        IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1:0')
            or die "no free port: $!";
    } 1 .. shift;
    return map { $_->sockport } @s;
}

sub write_file {
    my ($name, $text) = @_;
    open my $fh, '>', "$dir/$name" or die "$name: $!";
    print $fh $text;
    close $fh;
    return "$dir/$name";
}

my $head = <<"EOC";
ServerRoot "$dir"
ServerName 127.0.0.1
PidFile "$dir/httpd.pid"
ErrorLog "$dir/error_log"
LogLevel warn
DefaultRuntimeDir "$dir"
DocumentRoot "$dir/htdocs"
LoadModule mpm_event_module $libexec/mod_mpm_event.so
LoadModule authz_core_module $libexec/mod_authz_core.so
LoadModule dbd_module $libexec/mod_dbd.so
LoadModule socache_shmcb_module $libexec/mod_socache_shmcb.so
LoadModule kdata_module $so
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
DBDriver mysql
DBDParams "host=127.0.0.1,port=$ENV{KD_DB_PORT},dbname=$ENV{KD_DB_NAME},user=kdata,pass=kdata-test,reconnect=0"
DBDInitSQL "SET NAMES utf8mb4"
DBDMin 0
DBDMax 4
KdataTokenSecretFile "$ENV{KD_SECRET_FILE}"
KdataCache "shmcb:$dir/kdata-cache(262144)"
EOC

# --- httpd refuses what cannot be mounted, and says where ---------------
my %refused = (
    '<LocationMatch "^/kdata">' => '<LocationMatch "^/kdata">
    SetHandler kdata
</LocationMatch>',
    '<Location ~ "^/kdata">' => '<Location ~ "^/kdata">
    SetHandler kdata
</Location>',
    '<Location "/kdata*">' => '<Location "/kdata*">
    SetHandler kdata
</Location>',
    "<Directory \"$dir/htdocs\">" => "<Directory \"$dir/htdocs\">
    SetHandler kdata
</Directory>",
    '<Files "api">' => '<Files "api">
    SetHandler kdata
</Files>',
    '<LocationMatch "^/kdata"> (in an <If>)' => '<LocationMatch "^/kdata">
    <If "true">
        SetHandler kdata
    </If>
</LocationMatch>',
);
my ($port, $ht_port, @ports) = free_ports(2 + @layouts);
for my $what (sort keys %refused) {
    my $conf = write_file('refused.conf', "${head}Listen 127.0.0.1:$port\n"
                          . "$refused{$what}\n");
    (my $sec = $what) =~ s/ \(in an <If>\)$//;
    my $out = `timeout 20 $httpd -f $conf -t 2>&1`;
    like $out, qr/KD00003: SetHandler kdata in \Q$sec\E: the API's routes/,
        "$what: refused, the section named";
    unlink "$dir/error_log";
    $out = `timeout 20 $httpd -f $conf -DFOREGROUND 2>&1`;
    my $rc = $? >> 8;
    my $why = $out =~ /KD00003: .* must be a <Location> with a plain path/;
    is_deeply [$rc != 0, $why ? 1 : 0], [1, 1],
        "$what: httpd does not start, and says why";
}

# --- one server, one virtual host per layout ----------------------------
my $conf = $head;
for my $i (0 .. $#layouts) {
    my ($name, $body) = @{ $layouts[$i] };
    $body =~ s/^/    /mg;
    $conf .= "Listen 127.0.0.1:$ports[$i]\n"
           . "# $name\n<VirtualHost 127.0.0.1:$ports[$i]>\n$body\n"
           . "</VirtualHost>\n";
}
# An .htaccess file cannot mount it either: refused when a request reads
# the file (500), the file named in the log.
$conf .= "Listen 127.0.0.1:$ht_port\n<VirtualHost 127.0.0.1:$ht_port>\n"
       . "    <Directory \"$dir/htdocs/ht\">\n        AllowOverride FileInfo\n"
       . "    </Directory>\n</VirtualHost>\n";
write_file('htdocs/ht/.htaccess', "SetHandler kdata\n");
# Other handlers in a <LocationMatch> or a <Directory> are no business of
# mod_kdata's: not refused (no request reaches these two).
$conf .= "<LocationMatch \"^/elsewhere/\">\n    SetHandler none\n"
       . "</LocationMatch>\n<Directory \"$dir/htdocs/elsewhere\">\n"
       . "    SetHandler none\n</Directory>\n";
write_file('httpd.conf', $conf);
my $start = `timeout 20 $httpd -f $dir/httpd.conf -k start 2>&1`;
END {
    if ($dir && -e "$dir/httpd.pid") {
        system("timeout 20 $httpd -f $dir/httpd.conf -k stop >/dev/null 2>&1");
        for (1 .. 50) {
            last unless -e "$dir/httpd.pid";
            Time::HiRes::sleep(0.1);
        }
    }
}
my $up = 0;
for (1 .. 100) {
    last if $up = IO::Socket::INET->new("127.0.0.1:$ports[-1]");
    Time::HiRes::sleep(0.1);
}
ok $up, 'the layouts\' server starts' or diag $start, `cat $dir/error_log`;

# What the suite's own server answers at its root mount, to compare with.
my $product = api('/api/v1/getproduct', { serviceid => 1 }, token => $tok);
is $product->code, 200, 'getproduct at the suite\'s server';
my $creds = { email => 'namns@example.com', password => 'secret-pass-1' };

sub login_shape {
    my $res = shift;
    my $b = eval { JSON::PP->new->utf8->decode($res->content) }
        or return undef;
    my $t = delete $b->{0}{token} // return undef;
    # A login writes the client's last login, address and host (WHMCS 7
    # keeps them in tblclients), and the answer shows the previous one's.
    delete @$_{qw(lastlogin ip host updated_at)} for @{ $b->{user} || [] };
    return $t =~ /^[\w-]+\.[\w-]+\.[\w-]{43}$/ ? [$res->code, $b] : undef;
}
my $login_shape = login_shape(api('/login', $creds));
ok $login_shape && $login_shape->[0] == 200
    && $login_shape->[1]{user}[0]{email} eq 'namns@example.com',
    'login at the suite\'s server';

# For the OpenAPI conformance check (t/lib/KData/Record.pm): where the
# API hangs on each port; the .htaccess host serves none.
if (defined &KData::Record::mounts) {
    KData::Record::mounts($ports[$_], $layouts[$_][2]) for 0 .. $#layouts;
    KData::Record::mounts($ht_port);
}
for my $i (0 .. $#layouts) {
    my ($name, undef, $mount, $limit) = @{ $layouts[$i] };
    my $base = "http://127.0.0.1:$ports[$i]";
    my $res = api("$base${mount}login", $creds);
    is_deeply login_shape($res), $login_shape,
        "$name: POST ${mount}login is the API's login";
    $res = api("$base${mount}api/v1/getproduct", { serviceid => 1 },
               token => $tok);
    is_deeply [$res->code, $res->content], [200, $product->content],
        "$name: POST ${mount}api/v1/getproduct, the same answer";
    $res = api("$base${mount}api/v1/nope", { serviceid => 1 },
               token => $tok);
    is_deeply [$res->code, $res->content], [404, $not_found],
        "$name: ${mount}api/v1/nope: 404 Not found";
    $res = api("$base${mount}kdata/login", $creds);
    is_deeply [$res->code, $res->content], [404, $not_found],
        "$name: ${mount}kdata/login: 404 Not found";
    $res = api("$base${mount}login/", $creds);
    is_deeply [$res->code, $res->content], [404, $not_found],
        "$name: ${mount}login/: 404 Not found";
    if ($mount ne '/') {
        # Outside the block httpd's own handler answers: not the API.
        $res = api("$base/login", $creds);
        is_deeply [$res->code, scalar $res->content_type,
                   $res->content =~ m{<title>404 Not Found</title>} ? 1 : 0],
            [404, 'text/html', 1],
            "$name: /login outside the block is not the API";
    }
    if ($limit) {
        my ($path, $size) = @$limit;
        $res = api("$base$path", 'serviceid=1&x=' . ('a' x $size),
                   token => $tok);
        is_deeply [$res->code, $res->content], [413, $too_large],
            "$name: the block's KdataMaxBody holds at $path";
    }
}

# The two mounts of "nested mounts": /kdata itself answers too.
my ($nested) = grep { $layouts[$_][0] eq 'nested mounts' } 0 .. $#layouts;
my $res = api("http://127.0.0.1:$ports[$nested]/kdata/api/v1/getproduct",
              { serviceid => 1 }, token => $tok);
is_deeply [$res->code, $res->content], [200, $product->content],
    'nested mounts: the outer /kdata answers as well';

$res = api("http://127.0.0.1:$ht_port/ht/login", $creds);
is $res->code, 500, '.htaccess with SetHandler kdata: 500';
open my $log, '<', "$dir/error_log" or die "error_log: $!";
my $text = do { local $/; <$log> };
my $ht_why = "$dir/htdocs/ht/.htaccess: KD00003: SetHandler kdata in an "
            . '.htaccess file';
like $text, qr/\Q$ht_why\E/, '.htaccess: the log names the file and why';
