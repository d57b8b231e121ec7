# SPDX-License-Identifier: GPL-2.0-only
# Shared by ci/xen-build.sh, ci/xen-check.sh and ci/xen-patches.sh (sourced,
# not run).  Paths, the pinned Xen version, and the stages that obtain the
# source and compose our commits on top of it.
#
# Layout under build/xen/ (nothing here is committed):
#   apt/        private apt state: sources list, Sources indices, cache
#   dl/         the downloaded source package (.dsc, .orig.tar.xz, .debian.tar.xz)
#   src/        the unpacked tree, a git repository: tag 'debian-base' is the
#               tree exactly as dpkg-source unpacked it, branch 'pcidc' holds
#               our commits on top (see ci/xen/series)
#   on/ off/    out-of-tree builds (make O=...) with the option on and off;
#               the hypervisor binaries are on/xen.gz, on/xen, on/xen-syms
#               (and the same under off/)

XEN_VERSION=4.17.5+72-g01140da4e8-1
XEN_UPSTREAM=${XEN_VERSION%-*}
XEN_KCONFIG=PCI_CRASH_DISCONNECT

ROOT=$(cd "$(dirname "$0")/.." && pwd)
XEN_CI=$ROOT/ci/xen
XB=$ROOT/build/xen
APT_DIR=$XB/apt
DL_DIR=$XB/dl
SRC_DIR=$XB/src
DSC=$DL_DIR/xen_$XEN_VERSION.dsc

# Fixed identity and dates keep the composed commits (and so the exported
# series) the same from run to run.
export GIT_AUTHOR_NAME="pcidc maintainers"
export GIT_AUTHOR_EMAIL="pcidc@invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-11-25T12:00:00+0000"
export GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE"

say() { printf '%s: %s\n' "${PROG:-xen}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${PROG:-xen}" "$*" >&2; exit 1; }

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

fetch_source() {
    have_download && return 0
    command -v apt-get >/dev/null || die "apt-get not found: this needs a Debian 12 machine"
    mkdir -p "$APT_DIR/sources.list.d" "$APT_DIR/lists/partial" \
             "$APT_DIR/cache/archives/partial" "$DL_DIR"

    derive_deb_src | main_archive_only >"$APT_DIR/sources.list"
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
        sed 's/^/  /' "$DL_DIR/source.log" >&2
        die "could not download xen=$XEN_VERSION source (no network, or the archive no longer has that version); log: $DL_DIR/source.log"
    fi
    [ -f "$DSC" ] || die "apt-get source finished but $DSC is missing"
    touch "$DL_DIR/.complete-$XEN_VERSION"
}

# Unpack with dpkg-source (Debian's patches applied, as Debian builds it) and
# record the result as the git commit tagged 'debian-base'.
unpack_source() {
    if [ -f "$SRC_DIR/.git/pcidc-base-$XEN_VERSION" ]; then
        return 0
    fi
    # A new tree invalidates the builds made from the old one.
    rm -rf "$SRC_DIR" "$XB/unpack.tmp" "$XB/on" "$XB/off"
    say "unpacking $(basename "$DSC")"
    dpkg-source -x "$DSC" "$XB/unpack.tmp" >"$XB/unpack.log" 2>&1 ||
        { sed 's/^/  /' "$XB/unpack.log" >&2; die "dpkg-source -x failed; log: $XB/unpack.log"; }
    rm -rf "$XB/unpack.tmp/.pc"
    rm -f "$XB"/xen_*.orig.tar.*     # dpkg-source's copy; dl/ keeps one
    mv "$XB/unpack.tmp" "$SRC_DIR"
    (
        cd "$SRC_DIR"
        git init -q -b debian .
        git config core.autocrlf false
        git config gc.auto 0
        git add -f -A .
        git commit -q -m "xen $XEN_VERSION as unpacked by dpkg-source -x"
        git tag -f debian-base >/dev/null
    ) || die "could not record the unpacked tree in git ($SRC_DIR)"
    touch "$SRC_DIR/.git/pcidc-base-$XEN_VERSION"
}

# --- Our commits --------------------------------------------------------------

# Build the commits listed in ci/xen/series on top of 'debian-base', in git's
# object store only (a private index, no work tree), and print the last
# commit's id.  The same inputs give the same commit ids.
compose_series() {
    (
        cd "$SRC_DIR"
        GIT_INDEX_FILE=$XB/compose.index
        export GIT_INDEX_FILE
        rm -f "$GIT_INDEX_FILE"
        git read-tree debian-base
        head=$(git rev-parse 'debian-base^{commit}')
        msg=
        while read -r kind arg1 arg2; do
            case "$kind" in
            ''|'#'*) continue ;;
            commit)
                [ -z "$msg" ] || head=$(commit_index "$head" "$msg")
                msg=$XEN_CI/$arg1
                [ -f "$msg" ] || die "ci/xen/series: no message file ci/xen/$arg1"
                ;;
            copy)
                [ -f "$ROOT/$arg1" ] || die "ci/xen/series: no file $arg1 in this repository"
                blob=$(git hash-object -w "$ROOT/$arg1")
                git update-index --add --cacheinfo "100644,$blob,$arg2"
                ;;
            diff)
                if ! git apply --cached --whitespace=error-all "$XEN_CI/$arg1"; then
                    die "ci/xen/$arg1 does not apply to xen $XEN_VERSION (git apply's complaint above); refresh it against build/xen/src (tag debian-base)"
                fi
                ;;
            revert)
                [ -n "$arg2" ] || die "ci/xen/series: 'revert $arg1' names no path"
                if ! git apply --cached -R --include="$arg2" "$XEN_CI/$arg1"; then
                    die "ci/xen/$arg1 does not revert from $arg2 as copied (git apply's complaint above): refresh it from the file in this repository"
                fi
                ;;
            *) die "ci/xen/series: unknown line '$kind $arg1 $arg2'" ;;
            esac
        done <"$XEN_CI/series"
        [ -n "$msg" ] || die "ci/xen/series lists no commit"
        commit_index "$head" "$msg"
        rm -f "$GIT_INDEX_FILE"
    )
}

commit_index() {
    git commit-tree "$(git write-tree)" -p "$1" -F "$2"
}

# Compose, then move the work tree's 'pcidc' branch there.  git rewrites only
# the files whose content changed, so unchanged files keep their times and
# the out-of-tree builds stay incremental.
prepare_tree() {
    fetch_source
    unpack_source
    commit=$(compose_series) || exit 1
    git -C "$SRC_DIR" checkout -q -f -B pcidc "$commit" ||
        die "could not check out the composed commits in $SRC_DIR"
    git -C "$SRC_DIR" config branch.pcidc.description "$(cat "$XEN_CI/cover-letter.txt")"
    PCIDC_TREE=$(git -C "$SRC_DIR" rev-parse 'pcidc^{tree}')
}
