#!/usr/bin/env bash
# tickpath-artifact.sh: version and build the tickpath release artifact on the controller.
#
#   tickpath-artifact.sh version TOP            print the working tree's version
#   tickpath-artifact.sh build TOP VERSION DIR  build DIR/tickpath-VERSION-ARCH.tar.gz (+ .manifest.json)
#   tickpath-artifact.sh import FILE SHA256 DIR  take a prebuilt artifact (a release, a CI build) into
#                                               DIR after checking its sha256; prints its version
#
# Version: <package version>-g<short commit> for a clean tree; a tree with changes (or without
# commits) under app/ gets a content hash instead: -g<commit>.d<hash> / -d<hash>, so a changed
# tree never reuses an artifact built from other sources.
#
# The artifact holds bin/ (the C programs, meson release build, -Dnative=false: portable),
# wheels/ (the tickpath wheel and its dependencies' binary wheels for CPython 3.11 on
# manylinux x86_64: Debian 12 hosts need no compiler and no index), manifest.json (version,
# commit, sha256 of each file) and SHA256SUMS (`sha256sum -c` on the host). Idempotent: an
# existing artifact is left alone. Concurrent builds of one version are serialised by a lock.
set -euo pipefail

die() { echo "tickpath-artifact: $*" >&2; exit 2; }

py=${TICKPATH_ARTIFACT_PYTHON:-python3}
pip=${TICKPATH_ARTIFACT_PIP:-"$py -m pip"}
pyver=${TICKPATH_ARTIFACT_PYVER:-3.11}
abi=cp${pyver/./}

tree_version() {
    local top=$1 pkgver commit hash
    # tomllib (3.11+); an older Python (an AWX/AAP execution environment computing only the
    # version for the drift check) reads the [project] table's version line
    pkgver=$("$py" - "$top/app/pyproject.toml" <<'PYV'
import re, sys
try:
    import tomllib
    print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])
except ImportError:
    text = open(sys.argv[1]).read()
    project = re.search(r"^\[project\]$(.*?)(?=^\[|\Z)", text, re.M | re.S)
    print(re.search(r'^version\s*=\s*"([^"]+)"', project.group(1), re.M).group(1))
PYV
    ) || die "cannot read the package version from $top/app/pyproject.toml"
    commit=$(git -C "$top" rev-parse --short=8 HEAD 2>/dev/null || true)
    if [[ -n $commit && -z $(git -C "$top" status --porcelain --untracked-files=all -- app 2>/dev/null) ]]; then
        echo "$pkgver-g$commit"
        return
    fi
    # content hash of the sources git would see (tracked + untracked, ignores applied)
    hash=$(cd "$top" && git ls-files -z -co --exclude-standard -- app 2>/dev/null \
        | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-8)
    [[ -n $hash ]] || die "no sources found under $top/app"
    if [[ -n $commit ]]; then echo "$pkgver-g$commit.d$hash"; else echo "$pkgver-d$hash"; fi
}

build() {
    local top=$1 version=$2 out=$3 arch name stage commit
    [[ $version =~ ^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$ ]] || die "bad version '$version'"
    arch=$(uname -m)
    name=tickpath-$version-$arch
    mkdir -p "$out"
    exec 9>"$out/.$name.lock"
    flock 9
    if [[ -f $out/$name.tar.gz && -f $out/$name.manifest.json ]]; then
        echo "exists $out/$name.tar.gz"
        return
    fi
    tmp=$(mktemp -d "$out/.build.XXXXXX")
    trap 'rm -rf "${tmp:-}"' EXIT
    stage=$tmp/$name
    mkdir -p "$stage/bin" "$stage/wheels"

    # 1. C programs: meson release build, installed into the stage
    meson setup "$tmp/meson" "$top/app" --buildtype=release --prefix=/ -Dtests=false \
        -Dnative=false >"$tmp/meson.log" 2>&1 || { cat "$tmp/meson.log" >&2; die "meson setup failed"; }
    meson compile -C "$tmp/meson" >"$tmp/compile.log" 2>&1 \
        || { tail -50 "$tmp/compile.log" >&2; die "C build failed"; }
    DESTDIR=$tmp/root meson install -C "$tmp/meson" --quiet >/dev/null
    if compgen -G "$tmp/root/bin/*" >/dev/null; then
        install -m 0755 "$tmp"/root/bin/* "$stage/bin/"
    fi

    # Debian packages providing the shared libraries the programs link (libxdp, DPDK, ...): the
    # host installs them from its distribution mirror (runtime libraries, no compiler).
    : >"$tmp/runtime-packages"
    for lib in $(for b in "$stage"/bin/*; do [[ -e $b ]] && ldd "$b" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'; done | sort -u); do
        base=$(basename "$lib")
        pkg=$(dpkg -S "$base" 2>/dev/null | awk -F': ' -v b="/$base" 'substr($2, length($2) - length(b) + 1) == b {print $1; exit}')
        [[ -n $pkg ]] || die "no Debian package provides $lib (linked by the C programs)"
        echo "${pkg%%:*}" >>"$tmp/runtime-packages"
    done
    sort -u -o "$tmp/runtime-packages" "$tmp/runtime-packages"

    # 2. wheels: the package, then its dependencies as binary wheels for the hosts' Python
    # (from a copy: an in-tree setuptools build would write app/build/, meson's build dir)
    mkdir -p "$tmp/py"
    cp "$top/app/pyproject.toml" "$top/app/README.md" "$tmp/py/"
    (cd "$top/app" && git ls-files -z -co --exclude-standard -- tickpath | xargs -0 cp --parents -t "$tmp/py")
    $pip wheel -q --no-deps -w "$stage/wheels" "$tmp/py" >/dev/null 2>"$tmp/pip.log" \
        || { grep -v '^WARNING' "$tmp/pip.log" >&2; die "pip wheel of $top/app failed"; }
    mapfile -t deps < <("$py" -c 'import sys, tomllib; print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]))' \
        "$top/app/pyproject.toml")
    if ((${#deps[@]})); then
        $pip download -q --only-binary=:all: --python-version "$pyver" --implementation cp \
            --abi "$abi" --platform manylinux2014_x86_64 --platform manylinux_2_28_x86_64 \
            --platform manylinux_2_34_x86_64 -d "$stage/wheels" "${deps[@]}" >/dev/null 2>"$tmp/pip.log" \
            || { grep -v '^WARNING' "$tmp/pip.log" >&2; die "pip download of the dependencies failed"; }
    fi

    # 3. manifest and checksums
    commit=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo none)
    (cd "$stage" && find bin wheels -type f | LC_ALL=C sort | xargs -r sha256sum >SHA256SUMS)
    "$py" - "$stage" "$version" "$arch" "$commit" "$(tree_version "$top")" "$abi" "$tmp/runtime-packages" <<'PY'
import json, pathlib, sys
stage, version, arch, commit, tree, abi, runtime = sys.argv[1:]
files = {}
for line in (pathlib.Path(stage) / "SHA256SUMS").read_text().splitlines():
    digest, path = line.split(None, 1)
    files[path.lstrip("*")] = digest
manifest = {
    "name": "tickpath",
    "version": version,
    "arch": arch,
    "git_commit": commit,
    "source_version": tree,
    "python_abi": abi,
    "programs": sorted(p[len("bin/"):] for p in files if p.startswith("bin/")),
    "runtime_packages": pathlib.Path(runtime).read_text().split(),
    "files": files,
}
(pathlib.Path(stage) / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
PY
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$tmp" -czf "$tmp/$name.tar.gz" "$name"
    cp "$stage/manifest.json" "$tmp/$name.manifest.json"
    mv "$tmp/$name.manifest.json" "$out/"
    mv "$tmp/$name.tar.gz" "$out/"
    echo "built $out/$name.tar.gz"
}

# A prebuilt artifact: the controller needs no compiler and no sources (AWX/AAP). Its sha256 is
# checked before anything is read from it; its manifest (inside, next to the top directory
# tickpath-VERSION-ARCH/) names it; it is placed in DIR under that name as if built here.
import_artifact() {
    local file=$1 want=$2 out=$3 got top manifest version arch name
    [[ $want =~ ^[0-9a-f]{64}$ ]] || die "the sha256 must be 64 lowercase hex digits"
    [[ -f $file ]] || die "no artifact at $file"
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [[ $got == "$want" ]] || die "$file has sha256 $got, not the expected $want: not used"
    top=$(tar -tzf "$file" 2>/dev/null | sed -n 1p) || die "$file is not a gzip tar"
    top=${top%%/*}
    [[ $top =~ ^tickpath-[0-9A-Za-z][0-9A-Za-z._+-]{0,63}-[a-z0-9_]+$ ]] \
        || die "$file is not a tickpath artifact (top directory '$top')"
    mkdir -p "$out"
    tmp=$(mktemp -d "$out/.import.XXXXXX")
    trap 'rm -rf "${tmp:-}"' EXIT
    tar -xzf "$file" -C "$tmp" "$top/manifest.json" 2>/dev/null || die "$file has no $top/manifest.json"
    manifest=$tmp/$top/manifest.json
    read -r version arch < <("$py" - "$manifest" <<'PYM'
import json, sys
m = json.load(open(sys.argv[1]))
print(m["version"], m["arch"]) if m.get("name") == "tickpath" else sys.exit(1)
PYM
    ) || die "$file: its manifest is not a tickpath manifest"
    name=tickpath-$version-$arch
    [[ $top == "$name" ]] || die "$file: top directory $top does not match its manifest ($name)"
    exec 9>"$out/.$name.lock"
    flock 9
    # the manifest lists every file's sha256: the same manifest is the same content
    if [[ -f $out/$name.tar.gz ]] && cmp -s "$manifest" "$out/$name.manifest.json"; then
        echo "exists $version"
        return
    fi
    [[ ! -e $out/$name.tar.gz ]] || die "$out/$name.tar.gz exists with other content: remove it or use another version"
    cp "$manifest" "$tmp/$name.manifest.json"
    cp "$file" "$tmp/$name.tar.gz"
    mv "$tmp/$name.manifest.json" "$out/"
    mv "$tmp/$name.tar.gz" "$out/"
    echo "imported $version"
}

case ${1:-} in
    version) [[ $# -eq 2 ]] || die "usage: $0 version TOP"; tree_version "$2" ;;
    build) [[ $# -eq 4 ]] || die "usage: $0 build TOP VERSION DIR"; build "$2" "$3" "$4" ;;
    import) [[ $# -eq 4 ]] || die "usage: $0 import FILE SHA256 DIR"; import_artifact "$2" "$3" "$4" ;;
    *) die "usage: $0 version TOP | build TOP VERSION DIR | import FILE SHA256 DIR" ;;
esac
