"""The ITCH decoder's libFuzzer target (app/fuzz/fuzz_itch_decode.c) really drives the decoders.

The target once reached 11 coverage edges: it called only tp_itch_decode(), which on an AVX-512
VBMI CPU is one branch-free permutation for every valid message. These tests run the target over
its seed corpus once (`-runs=0`, no mutation, deterministic) and check that every implementation
is compared, that the seeds decode cleanly under every TICKPATH_ITCH_DECODER selection, and that
coverage stays far above that. The fuzz build is app/build-fuzz ($FUZZ_BUILD; `make c-test`
makes it), else one is configured with clang in a temporary directory; no clang: skipped.

Floors, measured 2026-12 (clang 14, Intel Xeon with VBMI; seeds only): `cov:` 96-100 depending
on the selection (the harness's own edges included: about 60), tp_itch_decode_cold 31 edges; as
on a CPU without VBMI (built with __builtin_cpu_supports() = 0): 92-94 and 31. The floors leave
room for other clang versions, while a target that stops decoding valid messages of every type
falls far below them (the old target: 11 on these seeds, 11 after 60 s of fuzzing).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "app" / "fuzz" / "corpus" / "fuzz_itch_decode"
TARGET = "fuzz_itch_decode"
COV_FLOOR = 70
COLD_EDGES_FLOOR = 24  # the switch: 23 type cases plus the status returns

# NASDAQ TotalView-ITCH 5.0 sizes including the type byte (/work/shared/notes/protocols.md)
SPEC_SIZES = {
    "S": 12, "R": 39, "H": 25, "Y": 20, "L": 26, "V": 35, "W": 12, "K": 28, "J": 35, "h": 21,
    "A": 36, "F": 40, "E": 31, "C": 36, "X": 23, "D": 19, "U": 35, "P": 44, "Q": 40, "B": 19,
    "I": 50, "N": 20, "O": 48,
}


def _configured(build: Path) -> bool:
    return (build / "build.ninja").is_file()


@pytest.fixture(scope="module")
def fuzz_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = Path(os.environ.get("FUZZ_BUILD", ROOT / "app" / "build-fuzz"))
    if not _configured(build):
        if not (shutil.which("clang") and shutil.which("meson")):
            pytest.skip("no fuzz build and no clang/meson to make one (make c-test builds it)")
        build = tmp_path_factory.mktemp("build-fuzz")
        setup = subprocess.run(
            ["meson", "setup", str(build), str(ROOT / "app"), "-Dfuzz=true",
             "--buildtype=debugoptimized"],
            env={**os.environ, "CC": "clang"}, capture_output=True, text=True, timeout=300,
            check=False,
        )
        assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    # brings an existing build up to date with the sources (as scripts/fuzz.sh does)
    comp = subprocess.run(["meson", "compile", "-C", str(build), TARGET], capture_output=True,
                          text=True, timeout=600, check=False)
    assert comp.returncode == 0, comp.stdout[-3000:] + comp.stderr[-3000:]
    return build / TARGET


def run_seeds(fuzz_bin: Path, tmp_path: Path, decoder: str | None = None) -> str:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    env = {k: v for k, v in os.environ.items() if k != "TICKPATH_ITCH_DECODER"}
    if decoder is not None:
        env["TICKPATH_ITCH_DECODER"] = decoder
    proc = subprocess.run(
        [str(fuzz_bin), "-runs=0", "-print_coverage=1", f"-artifact_prefix={tmp_path}/", str(corpus)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stderr


def cpu_has_vbmi() -> bool:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and "avx512vbmi" in line.split() for line in text.splitlines())


def compared(log: str) -> tuple[list[str], str]:
    m = re.search(r"fuzz_itch_decode: comparing (.+) \(tp_itch_decode uses (\S+)\)", log)
    assert m, "no 'comparing' line:\n" + log.split("COVERAGE:")[0][-2000:]
    return m.group(1).split(), m.group(2)


def test_seed_corpus_has_every_type_truncated_oversized_and_unknown() -> None:
    for t, size in SPEC_SIZES.items():
        suffix = "_lc" if t.islower() else ""
        exact = (CORPUS / f"type_{t}{suffix}").read_bytes()
        assert exact[0] == ord(t) and len(exact) == size, t
        short = (CORPUS / f"short_{t}{suffix}").read_bytes()
        assert short[0] == ord(t) and len(short) == size - 1, t
        long = (CORPUS / f"long_{t}{suffix}").read_bytes()
        assert long[0] == ord(t) and len(long) > size, t
    unknown = [p.read_bytes()[0] for p in CORPUS.glob("unknown_*")]
    assert unknown and all(chr(b) not in SPEC_SIZES for b in unknown)
    # the stream seed: 2-byte big-endian lengths, every type once at its size, a record running
    # past the end last
    data = (CORPUS / "stream").read_bytes()
    seen: dict[str, int] = {}
    off = 0
    while len(data) - off >= 2:
        n = int.from_bytes(data[off:off + 2], "big")
        msg = data[off + 2:off + 2 + n]
        off += 2 + n
        if msg and chr(msg[0]) in SPEC_SIZES and len(msg) == SPEC_SIZES[chr(msg[0])]:
            seen[chr(msg[0])] = seen.get(chr(msg[0]), 0) + 1
    assert set(seen) == set(SPEC_SIZES)
    assert off > len(data)


def test_target_compares_every_implementation_with_coverage(fuzz_bin: Path, tmp_path: Path) -> None:
    log = run_seeds(fuzz_bin, tmp_path)
    covs = [int(c) for c in re.findall(r"\bcov: (\d+)", log)]
    assert covs and covs[-1] >= COV_FLOOR, f"cov {covs[-1:]} < {COV_FLOOR}"
    cold = re.search(r"COVERED_FUNC: hits: \d+ edges: (\d+)/\d+ tp_itch_decode_cold ", log)
    assert cold, "tp_itch_decode_cold never ran (or no llvm-symbolizer for -print_coverage)"
    assert int(cold.group(1)) >= COLD_EDGES_FLOOR
    impls, _ = compared(log)
    expected = ["switch", "table"]
    if platform.machine() == "x86_64" and cpu_has_vbmi():
        expected.append("avx512vbmi")
    assert impls == [*expected, "tp_itch_decode"]


@pytest.mark.parametrize(("decoder", "name"), [
    ("switch", "switch"), ("table", "table"), ("vbmi", "avx512vbmi"), ("auto", "avx512vbmi"),
])
def test_seeds_agree_under_every_decoder_selection(
    fuzz_bin: Path, tmp_path: Path, decoder: str, name: str
) -> None:
    if name == "avx512vbmi" and not (platform.machine() == "x86_64" and cpu_has_vbmi()):
        name = "table"  # auto without VBMI
    log = run_seeds(fuzz_bin, tmp_path, decoder)
    _, used = compared(log)
    assert used == name
