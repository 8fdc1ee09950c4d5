#!/usr/bin/env bash
# GPU check: grade every lab's solution (must pass) and starter (must fail) on CUDA through the real CLI,
# then run the in-process verdict suite (solution, alt, starter, every wrong file) on CUDA.
#
# On the GPU machine (no network; torch, pytest, rich, typer... present; sqlmodel & co. missing):
#   bash scripts/gpu_check.sh              # wheels from .whl/ go to /tmp/site, results to $OUT
# Locally, on CPU, with the project's venv (the wheel install is skipped when the imports already work):
#   GPU_CHECK_DEVICE=cpu PYTHON=.venv/bin/python OUT=/tmp/gpuout bash scripts/gpu_check.sh
# Knobs: PYTHON (python3), GPU_CHECK_DEVICE (cuda), GPU_CHECK_WHEELS (.whl), GPU_CHECK_SITE (/tmp/site),
#        GPU_CHECK_WORKERS (pytest-xdist workers for the suite, 8; 0 = no xdist), OUT (a temp folder).
set -u
cd "$(dirname "$0")/.." || exit 2

PYTHON=${PYTHON:-python3}
DEVICE=${GPU_CHECK_DEVICE:-cuda}
WHEELS=${GPU_CHECK_WHEELS:-.whl}
SITE=${GPU_CHECK_SITE:-/tmp/site}
WORKERS=${GPU_CHECK_WORKERS:-8}
OUT=${OUT:-$(mktemp -d -t gpu-check-out-XXXXXX)}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
START=$SECONDS
FAILED=0
ROWS=()

echo "== $("$PYTHON" --version 2>&1) ($PYTHON) in $PWD; device $DEVICE; results in $OUT"

NEEDED="import sqlmodel, sqlalchemy, pydantic, platformdirs, typer, rich, torch, pytest"
if "$PYTHON" -c "$NEEDED" 2>/dev/null; then
    echo "== packages already importable: wheel install skipped"
else
    echo "== installing $(ls "$WHEELS"/*.whl 2>/dev/null | wc -l) wheels from $WHEELS into $SITE"
    if ! "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" "$WHEELS"/*.whl; then
        echo "pip install failed (the compiled wheels are cp312: is this Python 3.12?); unzipping them instead"
        "$PYTHON" -c 'import sys, zipfile; [zipfile.ZipFile(w).extractall(sys.argv[1]) for w in sys.argv[2:]]' \
            "$SITE" "$WHEELS"/*.whl || FAILED=1
    fi
fi
export PYTHONPATH="$SITE:$PWD${PYTHONPATH:+:$PYTHONPATH}"
if ! "$PYTHON" -c "$NEEDED; import trainer.cli, labs.conftest"; then
    echo "GPU CHECK: FAILED (imports)"
    exit 1
fi

echo "== GPUs"
if command -v nvidia-smi >/dev/null; then nvidia-smi -L; else echo "(no nvidia-smi)"; fi
"$PYTHON" - "$DEVICE" <<'EOF' || FAILED=1
import sys, torch
print("torch", torch.__version__, "cuda build", torch.version.cuda, "cuda available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device 0:", torch.cuda.get_device_name(0))
if sys.argv[1] == "cuda" and not torch.cuda.is_available():
    sys.exit("cuda was asked for but torch sees no CUDA device")
EOF

export TRAINER_HOME
TRAINER_HOME=$(mktemp -d -t gpu-check-home-XXXXXX)
CLI='import sys; sys.argv[0] = "trainer"; from trainer.launcher import main; main()'

# check SLUG FILE EXPECTED: one `trainer lab check --json` run; its JSON line is appended to $OUT/lab_checks.jsonl.
check() {
    local slug=$1 file=$2 expected=$3 t0=$SECONDS code
    "$PYTHON" -c "$CLI" lab check "$slug" --file "$file" --device "$DEVICE" --timeout 180 --json \
        >"$OUT/.last.json" 2>"$OUT/.last.err"
    code=$?
    cat "$OUT/.last.json" >>"$OUT/lab_checks.jsonl"
    if [ -s "$OUT/.last.err" ]; then
        { echo "--- $slug $file (exit $code)"; cat "$OUT/.last.err"; } >>"$OUT/lab_checks.stderr.txt"
    fi
    local verdict
    verdict=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["outcome"], d["passed"], "passed", d["failed"], "failed", d["errors"], "errors on", d["device"])' "$OUT/.last.json" 2>/dev/null || echo "no JSON")
    local mark=ok
    [ "$code" = "$expected" ] || { mark=WRONG; FAILED=1; }
    echo "$mark: $slug $(basename "$file") exit $code (expected $expected) in $((SECONDS - t0))s: $verdict"
    ROWS+=("$slug|$(basename "$file")|$expected|$code|$((SECONDS - t0))|$mark")
}

rm -f "$OUT/lab_checks.jsonl" "$OUT/lab_checks.stderr.txt"
echo "== trainer lab check on $DEVICE"
for toml in labs/*/lab.toml; do
    slug=$(basename "$(dirname "$toml")")
    check "$slug" "labs/$slug/solution.py" 0
    check "$slug" "labs/$slug/starter.py" 1
done
rm -f "$OUT/.last.json" "$OUT/.last.err"

echo "== verdict suite (solution, alt, starter, every wrong file) on $DEVICE"
XDIST=()
[ "$WORKERS" != 0 ] && XDIST=(-p xdist.plugin -n "$WORKERS")
t0=$SECONDS
# Plugin autoload off: a stray pytest plugin on the machine cannot break collection (xdist is loaded by name).
TRAINER_LAB_DEVICE=$DEVICE PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 "$PYTHON" -m pytest tests/labs/test_lab_verdicts.py -q -rfE --color=no \
    -p no:cacheprovider "${XDIST[@]}" --junitxml="$OUT/verdicts.xml" >"$OUT/verdicts.txt" 2>&1
code=$?
tail -n 15 "$OUT/verdicts.txt"
"$PYTHON" - "$OUT/verdicts.xml" <<'EOF' || code=1
import sys, xml.etree.ElementTree as ET
from pathlib import Path
cases = [c for c in ET.parse(sys.argv[1]).iter("testcase") if c.get("name", "").startswith("test_wrong_file_is_rejected_with_its_message[")]
ok = [c for c in cases if not list(c)]  # no failure, error or skipped child
files = [p for root in ("tests/labs/wrong", "tests/fixtures/lab_proofs/wrong") for p in Path(root).glob("*/*.py")]
print(f"wrong files rejected: {len(ok)} of {len(cases)} cases, {len(files)} files on disk")
sys.exit(0 if len(ok) == len(cases) == len(files) > 0 else 1)
EOF
mark=ok
[ "$code" = 0 ] || { mark=WRONG; FAILED=1; }
ROWS+=("verdict suite|test_lab_verdicts.py|0|$code|$((SECONDS - t0))|$mark")

echo
printf '%-22s %-22s %8s %5s %8s  %s\n' lab file expected exit seconds ""
for row in "${ROWS[@]}"; do
    IFS='|' read -r a b c d e f <<<"$row"
    printf '%-22s %-22s %8s %5s %8s  %s\n' "$a" "$b" "$c" "$d" "$e" "$f"
done | tee "$OUT/summary.txt"
echo "total $((SECONDS - START))s on $DEVICE" | tee -a "$OUT/summary.txt"
rm -rf "$TRAINER_HOME"
if [ "$FAILED" = 0 ]; then
    echo "GPU CHECK: OK" | tee -a "$OUT/summary.txt"
else
    echo "GPU CHECK: FAILED" | tee -a "$OUT/summary.txt"
    exit 1
fi
