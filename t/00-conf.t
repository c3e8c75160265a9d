# Every directive mod_kdata has is documented in conf/kdata.conf, and
# every documented one exists (the OIDC check_conf_reference idea).
# Reads sources only: plain Test::More, so `make check` runs it too
# (KD_TOP=$(srcdir)), and the Apache::Test suite as before.
use strict;
use warnings FATAL => 'all';
use FindBin;
use Test::More;

my $top = $ENV{KD_TOP} // "$FindBin::Bin/..";
open my $src, '<', "$top/mod_kdata.c" or die $!;
my @cmds = do { local $/; <$src> } =~ /AP_INIT_\w+\("(Kdata\w+)"/g;
open my $doc, '<', "$top/conf/kdata.conf" or die $!;
my $conf = do { local $/; <$doc> };
my %documented = map { $_ => 1 } $conf =~ /^#?\s*(Kdata\w+)\s/mg;

plan tests => 2 + @cmds + keys %documented;
ok @cmds >= 10, 'directives found in mod_kdata.c';
ok $conf =~ /reconnect=0/ && $conf =~ /DBDInitSQL "SET NAMES utf8mb4"/,
    'reconnect=0 and the character set are documented';
for my $c (@cmds) {
    ok $documented{$c}, "$c is documented in conf/kdata.conf";
}
my %exists = map { $_ => 1 } @cmds;
for my $d (sort keys %documented) {
    ok $exists{$d}, "$d (documented) exists";
}
