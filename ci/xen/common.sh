# SPDX-License-Identifier: GPL-2.0-only
# Shared by ci/xen-build.sh, ci/xen-check.sh and ci/xen-patches.sh (sourced,
# not run).  Paths, the pinned Xen versions, and the stages that obtain the
# source and compose our commits on top of it.
#
# Each Xen version we build has a folder ci/xen/VERSION/ (4.17, 4.20):
#   source.sh   the pinned Debian source package (XEN_VERSION), the suite
#               that serves it (XEN_DEB_SUITE, empty: the machine's own), and
#               the upstream tag to use when the archive cannot serve it
#   series      the commits composed on top of that tree (see 4.17/series)
#   *.diff      the diffs that series applies; messages (*.msg) are looked
#               up there first, then in ci/xen/
# xen_select VERSION sets every variable below for one of them.
#
# Layout under build/xen/VERSION/ (nothing here is committed):
#   apt/        private apt state: sources list, Sources indices, cache
#   dl/         the downloaded source package (.dsc, .orig.tar.xz, .debian.tar.xz)
#   src/        the unpacked tree, a git repository: tag 'base' is the tree
#               exactly as dpkg-source unpacked it (or upstream's tag, see
#               fetch_upstream), branch 'pcidc' holds our commits on top
#   sent/       the core's files as the series copies them: without ACSL
#               (ci/strip-acsl.py)
#   on/ off/    out-of-tree builds (make O=...) with the option on and off;
#               the hypervisor binaries are on/xen.gz, on/xen, on/xen-syms
#               (and the same under off/)

XEN_KCONFIG=PCI_CRASH_DISCONNECT
XEN_ALL_VERSIONS="4.17 4.20"

ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}

# Fixed identity and dates keep the composed commits (and so the exported
# series) the same from run to run.
export GIT_AUTHOR_NAME="pcidc maintainers"
export GIT_AUTHOR_EMAIL="pcidc@invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-11-25T12:00:00+0000"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

say() { printf '%s: %s\n' "${PROG:-xen}" "${XEN_SERIES:+$XEN_SERIES: }$*" >&2; }
die() { printf '%s: error: %s\n' "${PROG:-xen}" "${XEN_SERIES:+$XEN_SERIES: }$*" >&2; exit 1; }

# The versions named on a command line, or all of them.
xen_versions() {
    if [ $# -eq 0 ]; then
        echo "$XEN_ALL_VERSIONS"
        return
    fi
    for v in "$@"; do
        case " $XEN_ALL_VERSIONS " in
        *" $v "*) ;;
        *) die "unknown Xen version '$v' (known: $XEN_ALL_VERSIONS)" ;;
        esac
    done
    echo "$*"
}

# Point every variable at one version's sources and build tree.
xen_select() {
    XEN_SERIES=$1
    XEN_CI=$ROOT/ci/xen
    XEN_VDIR=$XEN_CI/$XEN_SERIES
    [ -f "$XEN_VDIR/source.sh" ] || die "no ci/xen/$XEN_SERIES/source.sh"
    XEN_DEB_SUITE= XEN_FALLBACK_TAG= XEN_FALLBACK_COMMIT=
    . "$XEN_VDIR/source.sh"
    XEN_UPSTREAM=${XEN_VERSION%-*}
    XB=$ROOT/build/xen/$XEN_SERIES
    APT_DIR=$XB/apt
    DL_DIR=$XB/dl
    SRC_DIR=$XB/src
    SENT_DIR=$XB/sent
    DSC=$DL_DIR/xen_$XEN_VERSION.dsc
}

# A file the series names: the version's own, else the shared one.
series_file() {
    if [ -f "$XEN_VDIR/$1" ]; then
        echo "$XEN_VDIR/$1"
    elif [ -f "$XEN_CI/$1" ]; then
        echo "$XEN_CI/$1"
    else
        die "ci/xen/$XEN_SERIES/series: no file $1 in ci/xen/$XEN_SERIES/ or ci/xen/"
    fi
}

# --- Obtaining the source -----------------------------------------------------

# Print one 'deb-src' line per main-archive entry of the machine's own apt
# sources (deb822 *.sources and one-line *.list files).  Security suites are
# left out: their newer xen is not served by every mirror, and the pinned
# version lives in the main archive anyway.
derive_deb_src() {
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
        {
            types = uris = suites = comps = key = ""; enabled = "yes"
            for (i = 1; i <= NF; i++) {
                line = $i
                if (line ~ /^[ \t]*#/) continue
                n = index(line, ":")
                if (!n) continue
                name = tolower(substr(line, 1, n - 1))
                val = substr(line, n + 1)
                gsub(/^[ \t]+|[ \t]+$/, "", val)
                if (name == "types") types = val
                else if (name == "uris") uris = val
                else if (name == "suites") suites = val
                else if (name == "components") comps = val
                else if (name == "signed-by") key = val
                else if (name == "enabled") enabled = tolower(val)
            }
            if (enabled == "no" || types !~ /(^| )deb( |$)/) next
            opt = (key ~ /^\//) ? "[signed-by=" key "] " : ""
            nu = split(uris, u, " "); ns = split(suites, s, " ")
            for (a = 1; a <= nu; a++)
                for (b = 1; b <= ns; b++)
                    print "deb-src " opt u[a] " " s[b] " " comps
        }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" { $1 = "deb-src"; print }' "$f"
    done | sed 's/[[:space:]]*#.*//'
}

main_archive_only() {
    awk '{ for (i = 2; i <= NF; i++) if ($i ~ /-security$|security/) next; print }'
}

# The machine's main-archive lines with their suite replaced by
# XEN_DEB_SUITE (component main): Debian 13's source from the archive that
# serves Debian 12.  Lines of -updates, -backports and the like go.
other_suite() {
    awk -v suite="$1" '{
        n = 2
        if ($2 ~ /^\[/) { while (n <= NF && $n !~ /\]$/) n++; n++ }
        if ($(n + 1) ~ /-/) next
        line = $1
        for (i = 2; i <= n; i++) line = line " " $i
        print line " " suite " main"
    }' | sort -u
}

apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList="$APT_DIR/sources.list" \
        -o Dir::Etc::SourceParts="$APT_DIR/sources.list.d" \
        -o Dir::State::Lists="$APT_DIR/lists" \
        -o Dir::Cache="$APT_DIR/cache" \
        -o Dir::State::status=/var/lib/dpkg/status \
        -o APT::Sandbox::User=root \
        -o Acquire::Languages=none \
        -o Acquire::Retries=1 \
        -o Acquire::http::Timeout=30 \
        -o Acquire::https::Timeout=30 \
        "$@"
}

have_download() {
    [ -f "$DSC" ] && [ -f "$DL_DIR/.complete-$XEN_VERSION" ]
}

# Download the pinned source package.  Returns 1 (after saying why) when
# the archive lists the version but does not serve its files.
fetch_source() {
    have_download && return 0
    command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian 12 machine"
    mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" \
             "$APT_DIR/cache/archives/partial" "$DL_DIR"

    if [ -n "$XEN_DEB_SUITE" ]; then
        derive_deb_src | main_archive_only | other_suite "$XEN_DEB_SUITE" \
            >"$APT_DIR/sources.list"
    else
        derive_deb_src | main_archive_only >"$APT_DIR/sources.list"
    fi
    [ -s "$APT_DIR/sources.list" ] ||
        die "no main-archive 'deb' entry in /etc/apt/sources.list{,.d/*}: cannot derive a deb-src list"
    say "deb-src list derived from the machine's apt sources: $APT_DIR/sources.list"

    say "apt-get update (private state in $APT_DIR)"
    if ! apt_private update >"$APT_DIR/update.log" 2>&1 ||
       grep -q '^\(E\|W\): Failed to fetch' "$APT_DIR/update.log"; then
        sed 's/^/  /' "$APT_DIR/update.log" >&2
        die "could not fetch the Sources index (no network, or the archive is unreachable); log: $APT_DIR/update.log"
    fi

    say "apt-get source xen=$XEN_VERSION"
    if ! (cd "$DL_DIR" && apt_private source --download-only "xen=$XEN_VERSION") \
            >"$DL_DIR/source.log" 2>&1; then
        if grep -q ' 404 ' "$DL_DIR/source.log"; then
            say "the archive lists xen=$XEN_VERSION but does not serve its files (HTTP 404; log: $DL_DIR/source.log)"
            return 1
        fi
        sed 's/^/  /' "$DL_DIR/source.log" >&2
        die "could not download xen=$XEN_VERSION source (no network, or the archive no longer has that version); log: $DL_DIR/source.log"
    fi
    [ -f "$DSC" ] || die "apt-get source finished but $DSC is missing"
    touch "$DL_DIR/.complete-$XEN_VERSION"
}

# Record a finished tree in $XB/unpack.tmp as the commit tagged 'base'.
record_base() {
    mv "$XB/unpack.tmp" "$SRC_DIR"
    (
        cd "$SRC_DIR"
        git init -q -b orig .
        git config core.autocrlf false
        git config gc.auto 0
        git add -f -A .
        git commit -q -m "$1"
        git tag -f base >/dev/null
    ) || die "could not record the unpacked tree in git ($SRC_DIR)"
}

# Unpack with dpkg-source (Debian's patches applied, as Debian builds it) and
# record the result as the git commit tagged 'base'.
unpack_source() {
    [ -f "$SRC_DIR/.git/pcidc-base-$XEN_VERSION" ] && return 0
    # A new tree invalidates the builds made from the old one.
    rm -rf "$SRC_DIR" "$XB/unpack.tmp" "$XB/on" "$XB/off"
    say "unpacking $(basename "$DSC")"
    dpkg-source -x "$DSC" "$XB/unpack.tmp" >"$XB/unpack.log" 2>&1 ||
        { sed 's/^/  /' "$XB/unpack.log" >&2; die "dpkg-source -x failed; log: $XB/unpack.log"; }
    rm -rf "$XB/unpack.tmp/.pc"
    rm -f "$XB"/xen_*.orig.tar.*     # dpkg-source's copy; dl/ keeps one
    record_base "xen $XEN_VERSION as unpacked by dpkg-source -x"
    touch "$SRC_DIR/.git/pcidc-base-$XEN_VERSION"
}

# When the archive does not serve the pinned source: upstream Xen's release
# tag from a local clone named by XEN_UPSTREAM_GIT (the Debian package is
# that release plus later stable-branch commits and Debian's patches).
# The commit id is pinned in source.sh.
fetch_upstream() {
    stamp=pcidc-base-upstream-$XEN_FALLBACK_COMMIT
    [ -f "$SRC_DIR/.git/$stamp" ] && return 0
    [ -n "$XEN_FALLBACK_COMMIT" ] ||
        die "the Debian archive does not serve xen=$XEN_VERSION and ci/xen/$XEN_SERIES/source.sh names no upstream fallback"
    if [ -z "${XEN_UPSTREAM_GIT:-}" ]; then
        printf '%s: %s: source unavailable: %s\n' "${PROG:-xen}" "$XEN_SERIES" \
            "the Debian archive lists xen=$XEN_VERSION but does not serve its files (HTTP 404), and XEN_UPSTREAM_GIT is not set; set it to a clone of upstream Xen holding $XEN_FALLBACK_TAG ($XEN_FALLBACK_COMMIT) to build from that instead" >&2
        exit 3
    fi
    got=$(git -C "$XEN_UPSTREAM_GIT" rev-parse -q --verify "$XEN_FALLBACK_TAG^{commit}") ||
        die "$XEN_UPSTREAM_GIT has no $XEN_FALLBACK_TAG"
    [ "$got" = "$XEN_FALLBACK_COMMIT" ] ||
        die "$XEN_UPSTREAM_GIT: $XEN_FALLBACK_TAG is $got, not the pinned $XEN_FALLBACK_COMMIT"
    rm -rf "$SRC_DIR" "$XB/unpack.tmp" "$XB/on" "$XB/off"
    mkdir -p "$XB/unpack.tmp"
    say "upstream $XEN_FALLBACK_TAG from $XEN_UPSTREAM_GIT (git archive)"
    git -C "$XEN_UPSTREAM_GIT" archive "$XEN_FALLBACK_COMMIT" | tar -x -C "$XB/unpack.tmp" ||
        die "git archive $XEN_FALLBACK_TAG failed"
    record_base "xen $XEN_FALLBACK_TAG ($XEN_FALLBACK_COMMIT) from upstream: Debian's xen=$XEN_VERSION not served"
    touch "$SRC_DIR/.git/$stamp"
}

# What 'base' is: "debian VERSION" or "upstream TAG COMMIT".
base_id() {
    if [ -f "$SRC_DIR/.git/pcidc-base-$XEN_VERSION" ]; then
        echo "debian $XEN_VERSION"
    else
        echo "upstream $XEN_FALLBACK_TAG $XEN_FALLBACK_COMMIT"
    fi
}

obtain_base() {
    if [ -f "$SRC_DIR/.git/pcidc-base-$XEN_VERSION" ] ||
       [ -f "$SRC_DIR/.git/pcidc-base-upstream-$XEN_FALLBACK_COMMIT" ]; then
        return 0
    fi
    if fetch_source; then
        unpack_source
    else
        fetch_upstream
    fi
}

# --- Our commits --------------------------------------------------------------

# The core's files without their ACSL, in $SENT_DIR (what 'strip' copies).
strip_core() {
    rm -rf "$SENT_DIR"
    mkdir -p "$SENT_DIR"
    for f in "$ROOT"/src/*.c "$ROOT"/src/*.h; do
        python3 "$ROOT/ci/strip-acsl.py" "$f" >"$SENT_DIR/$(basename "$f")" ||
            die "ci/strip-acsl.py failed on $f"
    done
}

# Build the commits listed in ci/xen/VERSION/series on top of 'base', in
# git's object store only (a private index, no work tree), and print the
# last commit's id.  The same inputs give the same commit ids.
compose_series() {
    strip_core
    (
        cd "$SRC_DIR"
        GIT_INDEX_FILE=$XB/compose.index
        export GIT_INDEX_FILE
        rm -f "$GIT_INDEX_FILE"
        git read-tree base
        head=$(git rev-parse 'base^{commit}')
        msg=
        while read -r kind arg1 arg2; do
            case "$kind" in
            ''|'#'*) continue ;;
            commit)
                [ -z "$msg" ] || head=$(commit_index "$head" "$msg")
                msg=$(series_file "$arg1") || exit 1
                ;;
            copy|strip)
                [ -f "$ROOT/$arg1" ] || die "ci/xen/$XEN_SERIES/series: no file $arg1 in this repository"
                from=$ROOT/$arg1
                [ "$kind" = copy ] || from=$SENT_DIR/$(basename "$arg1")
                blob=$(git hash-object -w "$from")
                git update-index --add --cacheinfo "100644,$blob,$arg2"
                ;;
            diff)
                d=$(series_file "$arg1") || exit 1
                if ! git apply --cached --whitespace=error-all "$d"; then
                    die "$d does not apply to xen $XEN_VERSION (git apply's complaint above); refresh it against build/xen/$XEN_SERIES/src (tag base)"
                fi
                ;;
            revert)
                [ -n "$arg2" ] || die "ci/xen/$XEN_SERIES/series: 'revert $arg1' names no path"
                d=$(series_file "$arg1") || exit 1
                if ! git apply --cached -R --include="$arg2" "$d"; then
                    die "$d does not revert from $arg2 as copied (git apply's complaint above): refresh it from the file in this repository"
                fi
                ;;
            *) die "ci/xen/$XEN_SERIES/series: unknown line '$kind $arg1 $arg2'" ;;
            esac
        done <"$XEN_VDIR/series"
        [ -n "$msg" ] || die "ci/xen/$XEN_SERIES/series lists no commit"
        commit_index "$head" "$msg"
        rm -f "$GIT_INDEX_FILE"
    )
}

commit_index() {
    git commit-tree "$(git write-tree)" -p "$1" -F "$2"
}

# The cover letter, naming the tree the series was made against.
cover_letter() {
    set -- $(base_id)
    if [ "$1" = debian ]; then
        against="Debian's xen $2 source package"
    else
        against="upstream Xen $2 (commit $3)"
    fi
    sed "s|@AGAINST@|$against|" "$XEN_CI/cover-letter.txt"
}

# Compose, then move the work tree's 'pcidc' branch there.  git rewrites only
# the files whose content changed, so unchanged files keep their times and
# the out-of-tree builds stay incremental.
prepare_tree() {
    obtain_base
    commit=$(compose_series) || exit 1
    git -C "$SRC_DIR" checkout -q -f -B pcidc "$commit" ||
        die "could not check out the composed commits in $SRC_DIR"
    git -C "$SRC_DIR" config branch.pcidc.description "$(cover_letter)"
    PCIDC_TREE=$(git -C "$SRC_DIR" rev-parse 'pcidc^{tree}')
}
