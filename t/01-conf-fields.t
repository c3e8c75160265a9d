# Every field of kd_srv_conf and kd_dir_conf (src/mod_kdata.h) is handled
# by both the create and the merge function of its config in mod_kdata.c:
# a field merge forgets is silently the main server's (or lost) in every
# virtual host and <Location>.  Create must set each int field (to
# KD_UNSET: 0 is a real value, "0 turns it off") and name any other
# field it leaves to apr_pcalloc's NULL/0 in a comment; merge must
# assign every field (conf->FIELD or KD_MERGE(FIELD)).  Reads sources
# only: `make check` runs it, and the Apache::Test suite.
use strict;
use warnings FATAL => 'all';
use FindBin;
use Test::More;

my $top = $ENV{KD_TOP} // "$FindBin::Bin/..";

sub slurp {
    my ($path) = @_;
    open my $fh, '<', "$top/$path" or die "$path: $!";
    local $/;
    return <$fh>;
}

sub strip_comments {
    my ($c) = @_;
    $c =~ s{/\*.*?\*/}{ }gs;
    return $c;
}

my $hdr = slurp('src/mod_kdata.h');
my $src = slurp('mod_kdata.c');

# The fields of a struct, by name, with their declared type.
sub fields_of {
    my ($struct) = @_;
    my ($body) = $hdr =~ /typedef struct \{\n([^{}]*)\n\} \Q$struct\E;/
        or die "no $struct in src/mod_kdata.h";
    my %f;
    for my $decl (split /;/, strip_comments($body)) {
        $decl =~ s/^\s+|\s+$//g;
        next unless length $decl;
        # "type *name[N]", or "type a, b": the type is what comes before
        # the first declarator.
        my ($first, @more) = split /,/, $decl;
        my ($type, $ptr, $name, $arr) =
            $first =~ /^(.*?\w)\s*(\**)\s*(\w+)\s*(\[[^]]*\])?$/s
            or die "cannot read '$decl' in $struct";
        $f{$name} = $ptr || $arr ? "pointer" : $type;
        for my $d (@more) {
            ($ptr, $name, $arr) = $d =~ /^\s*(\**)\s*(\w+)\s*(\[[^]]*\])?\s*$/
                or die "cannot read '$d' in $struct";
            $f{$name} = $ptr || $arr ? "pointer" : $type;
        }
    }
    return \%f;
}

# A function's body in mod_kdata.c, with and without its comments.
sub body_of {
    my ($fn) = @_;
    my ($body) = $src =~ /^static \w+ \**\Q$fn\E\(.*?\)\n\{\n(.*?)^\}\n/ms
        or die "no $fn in mod_kdata.c";
    return ($body, strip_comments($body));
}

my @checks = (
    [kd_srv_conf => 'kd_create_srv_conf', 'kd_merge_srv_conf'],
    [kd_dir_conf => 'kd_create_dir_conf', 'kd_merge_dir_conf'],
);
my %fields = map { $_->[0] => fields_of($_->[0]) } @checks;
plan tests => 2 + 2 * (scalar(keys %{ $fields{kd_srv_conf} })
                       + scalar(keys %{ $fields{kd_dir_conf} }));

for my $c (@checks) {
    my ($struct, $create, $merge) = @$c;
    my $f = $fields{$struct};
    ok keys %$f >= 5, "$struct: fields found";
    my ($cbody, $ccode) = body_of($create);
    my ($mbody, $mcode) = body_of($merge);
    my $ccomments = join ' ', $cbody =~ m{/\*(.*?)\*/}gs;
    for my $name (sort keys %$f) {
        my $assigned = $ccode =~ /\bconf->\Q$name\E\s*(\[[^]]*\])?\s*=[^=]/;
        if ($f->{$name} eq 'int') {
            ok $assigned, "$create sets $struct.$name (an int: 0 is a value)";
        }
        else {
            ok $assigned || $ccomments =~ /\b\Q$name\E\b/,
                "$create sets $struct.$name or names it as left NULL";
        }
        ok $mcode =~ /\bconf->\Q$name\E\b|\bKD_MERGE\(\Q$name\E\)/,
            "$merge handles $struct.$name";
    }
}
