#!/usr/bin/env bash
# render_audio.sh: regenerate the shipped speech clips in calls/audio/.
#
# What: speaks every entry of CLIP_TEXT (calls/audio/__init__.py, the single source
#   of the wording) with espeak-ng and converts it with sox to raw, headerless
#   8 kHz mono G.711 µ-law: calls/audio/<name>.ulaw.
# Why: that is byte-for-byte the format of Twilio Media Streams and of the OpenAI
#   Realtime API's audio/pcmu, so the clips go on the wire with no conversion
#   (fallback prompts, the realtime stand-in, the call simulator, tests). Synthetic
#   speech keeps them license-free and reproducible.
# How: from anywhere, `scripts/render_audio.sh` (needs espeak-ng, sox, python3;
#   `apt-get install espeak-ng sox`). Output is deterministic (no dither), so an
#   unchanged text re-renders to identical bytes and git shows no diff.
#
# Processing: trim leading/trailing silence (the stand-in should start talking at
# once), normalise to -3 dBFS so every clip has the same loudness and the caller
# clip clears the stand-in's energy VAD, resample to 8 kHz µ-law, and pad to whole
# 20 ms frames.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out_dir="$repo/calls/audio"
assistant_voice="en-us+f3"   # the agent
caller_voice="en-gb+m3"      # a distinct voice for the simulated caller
rate_wpm=175

for tool in espeak-ng sox python3; do
    command -v "$tool" >/dev/null || { echo "render_audio: $tool not found" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# Read name<TAB>text pairs straight from the module file (not via `import calls`,
# so no Django or virtualenv is needed).
python3 - "$out_dir/__init__.py" >"$tmp/clips.tsv" <<'PY'
import importlib.util
import sys

spec = importlib.util.spec_from_file_location("clips", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
for name, text in module.CLIP_TEXT.items():
    print(f"{name}\t{text}")
PY

while IFS=$'\t' read -r name text; do
    voice="$assistant_voice"
    [[ "$name" == caller_* ]] && voice="$caller_voice"
    espeak-ng -v "$voice" -s "$rate_wpm" -w "$tmp/$name.wav" "$text"
    # -D: no dither, for reproducible bytes. silence/reverse/silence/reverse trims
    # both ends; pad leaves 50 ms so the first syllable is not clipped.
    sox -D "$tmp/$name.wav" -t raw -r 8000 -c 1 -e mu-law "$out_dir/$name.ulaw" \
        silence 1 0.02 -45d reverse silence 1 0.02 -45d reverse \
        pad 0.05 0.05 gain -n -3
    # Pad with µ-law silence (0xFF) to whole 20 ms frames: Twilio media frames are
    # 160 bytes, and whole frames keep played-ms accounting exact.
    pad=$(( (160 - $(wc -c <"$out_dir/$name.ulaw") % 160) % 160 ))
    head -c "$pad" /dev/zero | tr '\0' '\377' >>"$out_dir/$name.ulaw"
    bytes=$(wc -c <"$out_dir/$name.ulaw")
    echo "render_audio: $name.ulaw $bytes bytes, $((bytes / 8)) ms: $text"
done <"$tmp/clips.tsv"
