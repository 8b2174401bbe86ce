# The one writer of nix-support/pgo.json (pgoWriteManifestFile in pgo.sh runs
# it): the members Nix fixed at evaluation time, in their order, with the
# facts the build found filled in. It is strict: it writes a file only when
# every member of the layout is there exactly once, and ends with status 1
# naming what is wrong otherwise.
#
#   od -An -v -tu1 FACTS | pgoLayout=LAYOUT LC_ALL=C awk -f manifest.awk >FILE
#
# LAYOUT (nix/manifest.nix), one member per line:
#   =KEY<TAB>JSON  a fixed member, its value already JSON (builtins.toJSON)
#   ?KEY           a member whose value is a fact of the build
#   [KEY           a list of objects, the items the build adds
# FACTS, as the bytes od prints: NUL-terminated triples TYPE, KEY, VALUE:
#   s KEY VALUE    a string: any bytes but NUL, which must be UTF-8
#   l KEY VALUE    null, true, false or a whole number
#   { KEY ""       starts the next item of the list KEY: every fact after it
#                  is a member of that item (so the items come last)
# Strings are written as ASCII (\uXXXX beyond it), so no locale is involved.

function fail(message) {
    print "nix-pgo: cannot write the manifest: " message > "/dev/stderr"
    failed = 1
    exit 1
}

# The token just read, which must be printable ASCII (types, keys, literals).
function ascii(    s, i) {
    s = ""
    for (i = 1; i <= nb; i++) {
        if (b[i] < 32 || b[i] > 126) fail("a type, key or literal that is not printable ASCII")
        s = s chr[b[i]]
    }
    return s
}

function codePoint(cp,    high) {
    if (cp < 65536) return sprintf("\\u%04x", cp)
    cp -= 65536
    high = int(cp / 1024)
    return sprintf("\\u%04x\\u%04x", 55296 + high, 56320 + cp - high * 1024)
}

# The token just read as a JSON string; its bytes must be UTF-8 (no overlong
# forms, no surrogates, nothing beyond U+10FFFF).
function quote(    s, i, k, c, d, n, cp, lo, hi) {
    s = "\""
    for (i = 1; i <= nb; i++) {
        c = b[i]
        if (c == 34) s = s "\\\""
        else if (c == 92) s = s "\\\\"
        else if (c < 32) s = s control[c]
        else if (c < 127) s = s chr[c]
        else if (c == 127) s = s "\\u007f"
        else {
            if (c >= 194 && c <= 223) { n = 1; cp = c - 192; lo = 128; hi = 191 }
            else if (c >= 224 && c <= 239) { n = 2; cp = c - 224; lo = c == 224 ? 160 : 128; hi = c == 237 ? 159 : 191 }
            else if (c >= 240 && c <= 244) { n = 3; cp = c - 240; lo = c == 240 ? 144 : 128; hi = c == 244 ? 143 : 191 }
            else fail("the " key " \"" partial(i) "...\" is not UTF-8")
            for (k = 1; k <= n; k++) {
                d = b[i + k]
                if (i + k > nb || d < lo || d > hi) fail("the " key " \"" partial(i) "...\" is not UTF-8")
                cp = cp * 64 + d - 128
                lo = 128
                hi = 191
            }
            i += n
            s = s codePoint(cp)
        }
    }
    return s "\""
}

# The printable ASCII before byte `end`, for messages.
function partial(end,    s, i) {
    s = ""
    for (i = 1; i < end; i++) if (b[i] >= 32 && b[i] < 127 && b[i] != 34) s = s chr[b[i]]
    return s
}

function member() {
    if (type == "{") {
        if (!(("[" key) in declared)) fail("the layout has no list \"" key "\"")
        list = key
        items[list]++
        return
    }
    if (type == "s") json = quote()
    else if (type == "l") {
        json = ascii()
        if (json !~ /^(null|true|false|-?(0|[1-9][0-9]*))$/) fail("\"" json "\" (" key ") is not null, true, false or a whole number")
    } else fail("unknown fact type \"" type "\"")
    if (list != "") {
        item[list, items[list]] = item[list, items[list]] (item[list, items[list]] == "" ? "" : ", ") "\"" key "\": " json
    } else {
        if (!(("?" key) in declared)) fail("the layout has no member \"" key "\"")
        if (key in fact) fail("\"" key "\" is given twice")
        fact[key] = json
    }
}

# One NUL-terminated token: the type, the key or the value of a triple.
function token() {
    if (part == 0) type = ascii()
    else if (part == 1) {
        key = ascii()
        if (key !~ /^[A-Za-z][A-Za-z0-9]*$/) fail("\"" key "\" is not a member name")
    } else member()
    part = (part + 1) % 3
    nb = 0
}

BEGIN {
    for (i = 32; i < 127; i++) chr[i] = sprintf("%c", i)
    for (i = 0; i < 32; i++) control[i] = sprintf("\\u%04x", i)
    control[8] = "\\b"; control[9] = "\\t"; control[10] = "\\n"; control[12] = "\\f"; control[13] = "\\r"
    lines = split(ENVIRON["pgoLayout"], layout, "\n")
    n = 0
    for (i = 1; i <= lines; i++) {
        if (layout[i] == "") continue
        order[++n] = layout[i]
        if (layout[i] ~ /^[?[]/) declared[layout[i]] = 1
        else if (layout[i] !~ /^=[A-Za-z][A-Za-z0-9]*\t/) fail("a layout line that is not =KEY<TAB>JSON, ?KEY or [KEY: " layout[i])
    }
    if (n == 0) fail("the layout is empty")
    part = 0
    nb = 0
    list = ""
}

{
    for (i = 1; i <= NF; i++) {
        if ($i == 0) token()
        else b[++nb] = $i + 0
    }
}

END {
    if (failed) exit 1
    if (part != 0 || nb != 0) fail("the facts end inside a triple")
    for (i = 1; i <= n; i++) if (order[i] ~ /^[?]/ && !(substr(order[i], 2) in fact)) fail("the build gave no \"" substr(order[i], 2) "\"")
    print "{"
    for (i = 1; i <= n; i++) {
        line = order[i]
        sep = i < n ? "," : ""
        what = substr(line, 1, 1)
        name = substr(line, 2)
        if (what == "=") {
            tab = index(name, "\t")
            print "  \"" substr(name, 1, tab - 1) "\": " substr(name, tab + 1) sep
        } else if (what == "?") {
            print "  \"" name "\": " fact[name] sep
        } else {
            print "  \"" name "\": ["
            for (j = 1; j <= items[name]; j++) print "    { " item[name, j] " }" (j < items[name] ? "," : "")
            print "  ]" sep
        }
    }
    print "}"
}
