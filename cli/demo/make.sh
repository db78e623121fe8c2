#!/usr/bin/env bash
# Makes the sample recordings of `fwbatch --demo` (see README.md here).
# Needs espeak-ng and ffmpeg (apt-get install -y espeak-ng ffmpeg).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say() { espeak-ng -v "$1" -s "$2" -w "$tmp/$3.wav" "$4"; }
say en-gb    145 interview "Thanks for joining us today. Tell me about the project you are working on."
say en-us+f3 150 lecture   "Welcome to the lecture. Today we look at how speech becomes text."
say en-gb+m3 155 memo      "Remember to send the transcript to the team by Friday."
say en-us    150 standup   "Yesterday I fixed the upload bug. Today I am writing tests."

# Mono, low sample rates and no metadata: small files, the same bytes each time.
exact=(-map_metadata -1 -fflags +bitexact -flags:a +bitexact)
ff() { ffmpeg -v error -y -i "$tmp/$1.wav" -ac 1 "${@:3}" "${exact[@]}" "$2"; }
ff interview interview.flac -ar 11025 -c:a flac -compression_level 12
ff lecture   lecture.wav    -ar 8000 -c:a pcm_s16le
ff memo      memo.ogg       -ar 16000 -c:a libvorbis -q:a 0
ff standup   standup.mp3    -ar 16000 -c:a libmp3lame -b:a 32k -write_xing 0 -id3v2_version 0
ls -l interview.flac lecture.wav memo.ogg standup.mp3
