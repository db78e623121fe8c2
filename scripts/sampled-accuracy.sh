#!/usr/bin/env bash
# How far off fwbatch's sampled lengths are, for the streams it cannot measure
# exactly within its 256 KiB read budget: ADTS (AAC) and MP3 without a
# Xing/VBRI header (see audio/README.md, "Limits").
#
# Makes SOURCES speech-like recordings of MINUTES minutes each, none periodic:
# espeak-ng speaking pseudo-random sentences (SSML) in a different voice, rate,
# pitch and pause pattern per paragraph, resampled to 44.1 kHz. Sources 1, 4…
# are clean (digital silence in the pauses, as text to speech or a noise gate
# leaves); 2, 5… have pink room noise; 3, 6… have noise whose level drifts and
# a wandering tone under the voice. Each is encoded by ffmpeg in every format below from a WAV, whose
# sample count is the true length, and measured with `fwbatch submit
# --dry-run --json` (nothing is sent). Prints one row per encoding and source,
# the error in percent (? when fwbatch says the length is unknown), and the
# worst error per encoding.
#
# Usage: scripts/sampled-accuracy.sh [FWBATCH...]
#   FWBATCH: binaries to compare side by side (default: this tree, built).
# Environment: SOURCES (3), MINUTES (20; a list such as "20 35 50" gives each
# source its own), CUTS (0: also measure each file cut at CUTS sizes from 100 %
# down to 60 % and print the mean and spread of the errors, which one file's
# error alone cannot show), WORK (a temporary directory, kept when set: sources and
# encodings are reused on a second run with the same WORK).
# Needs: go, ffmpeg (with libmp3lame), espeak-ng, awk. Takes about two minutes
# per 20 source minutes on a 2-core machine, mostly encoding; measuring takes
# a second.
set -euo pipefail

SOURCES=${SOURCES:-3}
CUTS=${CUTS:-0}
read -r -a minutes <<<"${MINUTES:-20}"
cd "$(dirname "$0")/.."
for tool in go ffmpeg ffprobe espeak-ng awk; do
	command -v "$tool" >/dev/null || { echo "sampled-accuracy: $tool is needed" >&2; exit 2; }
done

if [[ -n ${WORK:-} ]]; then
	mkdir -p "$WORK"
else
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/fwbatch-accuracy.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
fi
bins=("$@")
if ((${#bins[@]} == 0)); then
	go build -o "$WORK/fwbatch" .
	bins=("$WORK/fwbatch")
fi

# encodings: name, extension, ffmpeg arguments.
encodings=(
	"aac-32k|aac|-c:a aac -b:a 32k"
	"aac-12k-8kHz|aac|-c:a aac -ar 8000 -b:a 12k"
	"aac-vbr-q2|aac|-c:a aac -q:a 2"
	"aac-128k|aac|-c:a aac -b:a 128k"
	"mp3-vbr-q9|mp3|-c:a libmp3lame -q:a 9 -write_xing 0"
	"mp3-vbr-q2|mp3|-c:a libmp3lame -q:a 2 -write_xing 0"
)

# speech writes SSML paragraphs of pseudo-random sentences for source $1,
# one paragraph per line, each starting with its voice and rate.
speech() {
	awk -v seed="$1" -v paragraphs="$2" 'BEGIN {
		srand(seed)
		split("ka to ri mon sel va an der pi lo stra ne gu bel or fin mar te ux ho la cre dis pen wo", syl, " ")
		split("the a and of to in is it that was for on with as at by this we they have", common, " ")
		split("en-us en-gb en-gb-scotland en-gb-x-rp en-gb-x-gbclan en-029 en-gb-x-gbcwmd", voices, " ")
		for (p = 0; p < paragraphs; p++) {
			printf "%s %d <speak>", voices[1 + int(rand() * 7)], 120 + int(rand() * 80)
			sentences = 3 + int(rand() * 12)
			for (s = 0; s < sentences; s++) {
				printf "<prosody pitch=\"%+d%%\" rate=\"%d%%\">", int(rand() * 60) - 30, 80 + int(rand() * 50)
				words = 2 + int(rand() * 22)
				for (w = 0; w < words; w++) {
					if (rand() < 0.35) {
						word = common[1 + int(rand() * 20)]
					} else {
						word = ""
						n = 1 + int(rand() * 3)
						for (k = 0; k < n; k++) word = word syl[1 + int(rand() * 25)]
					}
					printf "%s%s", word, (rand() < 0.08 ? ", " : " ")
				}
				# Pauses from a breath to a long silence, skewed short.
				r = rand()
				printf ".</prosody><break time=\"%dms\"/>", 100 + int(r * r * r * 4000)
			}
			printf "</speak>\n"
		}
	}'
}

# make_source makes source $1 of $2 minutes at $WORK/src$1.wav.
make_source() {
	local n=$1 secs=$(($2 * 60)) dir=$WORK/src$1
	[[ -s $WORK/src$n.wav ]] && return
	mkdir -p "$dir"
	: >"$dir/list"
	local i=0 voice rate ssml
	# About 25 s of speech per paragraph; make enough and cut to length.
	while read -r voice rate ssml; do
		espeak-ng -m -v "$voice" -s "$rate" -w "$dir/p$i.wav" "$ssml"
		echo "file 'p$i.wav'" >>"$dir/list"
		i=$((i + 1))
	done < <(speech "$n" $((secs / 12)))
	local speech_wav=$dir/speech.wav
	ffmpeg -nostdin -loglevel error -y -f concat -safe 0 -i "$dir/list" -ar 44100 -t "$secs" "$speech_wav"
	case $((n % 3)) in
	1) cp "$speech_wav" "$WORK/src$n.wav" ;;
	2)
		ffmpeg -nostdin -loglevel error -y -i "$speech_wav" -f lavfi -i "anoisesrc=c=pink:a=0.004:r=44100:s=$n" \
			-filter_complex "amix=inputs=2:duration=first:normalize=0" "$WORK/src$n.wav"
		;;
	0)
		ffmpeg -nostdin -loglevel error -y -i "$speech_wav" -f lavfi -i "anoisesrc=c=brown:a=0.02:r=44100:s=$n" \
			-f lavfi -i "aevalsrc=0.05*sin(2*PI*(300+120*sin(t/7.3)+60*sin(t/2.9+sin(t/31)))*t)*(0.6+0.4*sin(t/13.7)):s=44100" \
			-filter_complex "[1]volume='0.3+0.7*abs(sin(t/11)*sin(t/4.3))':eval=frame[noise];[0][noise][2]amix=inputs=3:duration=first:normalize=0" \
			"$WORK/src$n.wav"
		;;
	esac
	rm -rf "$dir"
}

# length prints what fwbatch binary $1 says file $2 lasts, in seconds.
length() {
	"$1" submit --dry-run --json "$2" 2>/dev/null | sed -n 's/.*"duration_s":\([0-9.]*\).*/\1/p'
}

# error prints how far $1 seconds is from $2, in percent, or ? when $1 is
# empty (fwbatch says the length is unknown).
error() {
	[[ -n $1 ]] || { echo '?'; return; }
	awk -v g="$1" -v t="$2" 'BEGIN { printf "%+.2f", (g - t) / t * 100 }'
}

# cut_errors prints, for each binary, the mean and standard deviation of its
# errors on CUTS copies of file $1 cut to 60–100 % of its size: each places
# the sampled windows elsewhere. A cut stream's true length is its whole
# frames less the encoder delay fwbatch assumes (ffprobe counts the frames
# without decoding them); $2 is that delay, $3 the samples per frame.
cut_errors() {
	local size cut=$WORK/cut.${1##*.} c frames rate truth i
	local -a errs
	size=$(stat -c %s "$1")
	for ((c = 0; c < CUTS; c++)); do
		head -c $((size - size * 4 * c / (10 * CUTS))) "$1" >"$cut"
		IFS=, read -r rate frames < <(ffprobe -v error -select_streams a:0 -count_packets \
			-show_entries stream=sample_rate,nb_read_packets -of csv=p=0 "$cut")
		truth=$(awk -v f="$frames" -v r="$rate" -v d="$2" -v s="$3" 'BEGIN { printf "%.4f", (f * s - d) / r }')
		for i in "${!bins[@]}"; do errs[i]+=" $(error "$(length "${bins[$i]}" "$cut")" "$truth")"; done
	done
	for i in "${!bins[@]}"; do
		# shellcheck disable=SC2086 # one error per word
		printf ' %20s' "$(printf '%s\n' ${errs[i]} | awk '$1 == "?" { unknown++; next } { n++; s += $1; q += $1 * $1 }
			END { if (n) { m = s / n; printf "%+.2f±%.2f%%", m, sqrt(q / n - m * m) }; if (unknown) printf " %d?", unknown }')"
	done
	rm -f "$cut"
}

printf '%-14s %-6s %9s' encoding source "true s"
for bin in "${bins[@]}"; do printf ' %10s' "${bin##*/}"; done
if ((CUTS > 0)); then
	for bin in "${bins[@]}"; do printf ' %20s' "cuts ${bin##*/}"; done
fi
printf '\n'
declare -A worst unknowns
for ((n = 1; n <= SOURCES; n++)); do
	m=${minutes[$(((n - 1) % ${#minutes[@]}))]}
	make_source "$n" "$m"
	true_secs=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration_ts,sample_rate -of csv=p=0 "$WORK/src$n.wav" |
		awk -F, '{ printf "%.4f", $2 / $1 }')
	for enc in "${encodings[@]}"; do
		IFS='|' read -r name ext args <<<"$enc"
		out=$WORK/src$n-$name.$ext
		if [[ ! -s $out ]]; then
			# shellcheck disable=SC2086 # args are several ffmpeg arguments
			ffmpeg -nostdin -loglevel error -y -i "$WORK/src$n.wav" $args "$WORK/encoding.$ext"
			mv "$WORK/encoding.$ext" "$out"
		fi
		printf '%-14s %-6s %9.1f' "$name" "$n" "$true_secs"
		for i in "${!bins[@]}"; do
			err=$(error "$(length "${bins[$i]}" "$out")" "$true_secs")
			key="$name|$i"
			if [[ $err == '?' ]]; then
				printf ' %10s' '?'
				unknowns[$key]=$((${unknowns[$key]:-0} + 1))
				continue
			fi
			printf ' %10s' "$err%"
			worst[$key]=$(awk -v a="${worst[$key]:-0}" -v b="$err" 'BEGIN { print ((b < 0 ? -b : b) > (a < 0 ? -a : a)) ? b : a }')
		done
		if ((CUTS > 0)); then
			case $name in
			aac*) cut_errors "$out" 1024 1024 ;;
			*) cut_errors "$out" 1105 1152 ;;
			esac
		fi
		printf '\n'
	done
done
printf '\nworst error per encoding (and how many files were unknown, ?):\n'
for enc in "${encodings[@]}"; do
	name=${enc%%|*}
	printf '%-14s %-6s %9s' "$name" "" ""
	for i in "${!bins[@]}"; do
		printf ' %10s' "${worst[$name|$i]:-}%${unknowns[$name|$i]:+ ${unknowns[$name|$i]}?}"
	done
	printf '\n'
done
