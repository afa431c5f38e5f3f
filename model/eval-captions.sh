#!/bin/sh
# Prints every metric of the caption model: COLD test, the held-out
# dehumanization split, the evaluation-only sets of ../shared (skipped when
# absent), the hk-io-2019 flagged share, and the latency benchmarks.
#
# usage: model/eval-captions.sh [MEDIALABEL_BINARY [MODEL.onnx]]   (run from the repo root)
# Without MODEL the embedded model is evaluated; the benchmarks always measure
# the embedded one.
set -eu
ML=${1:-bin/medialabel}
if [ ! -x "$ML" ]; then
	echo "build the binary first (make build): $ML not found" >&2
	exit 2
fi
if [ -n "${2:-}" ]; then
	_ml=$ML
	ML=ml_with_model
	ml_with_model() { "$_ml" "$@" --model "$MODEL"; }
	MODEL=$2
fi
section() { printf '\n=== %s\n' "$1"; }

section "COLD test (offensive, threshold 0.5)"
"$ML" eval --data corpus/cold/test.csv --text-col TEXT --label-col label --output offensive --threshold 0.5 --worst 5
section "COLD test (offensive, the model's threshold)"
"$ML" eval --data corpus/cold/test.csv --text-col TEXT --label-col label --output offensive --worst 0
section "COLD test (dehumanizing flagged share by COLD label)"
"$ML" eval --data corpus/cold/test.csv --text-col TEXT --label-col none --output dehumanizing --group-col label --worst 5
section "Dehumanization held-out split (dehumanizing; hard negatives by kind)"
"$ML" eval --data corpus/dehumanization/heldout.jsonl --output dehumanizing --group-col kind --worst 10
section "Dehumanization held-out split (dehumanizing flagged share by batch: h01-h16 first writer, h17-h22 second, h23-h27 third)"
"$ML" eval --data corpus/dehumanization/heldout.jsonl --output dehumanizing --group-col batch --worst 0
section "Dehumanization held-out split (offensive)"
"$ML" eval --data corpus/dehumanization/heldout.jsonl --output offensive --worst 0

SHARED=../shared/data/text
if [ -d "$SHARED" ]; then
	section "ToxiCN test (toxic vs offensive output; evaluation only)"
	"$ML" eval --data "$SHARED/toxicn/ToxiCN_ex/data/test.json" --text-col content --label-col toxic --output offensive --worst 0
	section "STATE ToxiCN test (sen_hate vs offensive output; evaluation only)"
	"$ML" eval --data "$SHARED/state-toxicn/test.json" --text-col content --label-col sen_hate --output offensive --worst 0
	section "Taiwan political hate, Traditional Chinese (label vs offensive output; evaluation only)"
	"$ML" eval --data "$SHARED/tw-political-hate-zh-tw/hatespeech_zh_tw.csv" --text-col text --label-col label --output offensive --worst 0
	section "Taiwan political hate (label vs dehumanizing output)"
	"$ML" eval --data "$SHARED/tw-political-hate-zh-tw/hatespeech_zh_tw.csv" --text-col text --label-col label --output dehumanizing --worst 0
	section "hk-io-2019 raw tweets (unlabelled; dehumanizing flagged share, 30 of each)"
	"$ML" eval --data "$SHARED/hk-io-2019-twitter-samples/raw_tweets_from_notebook_outputs.jsonl" --text-col tweet_text --label-col none --output dehumanizing --worst 30
	section "hk-io-2019 processed tweets (unlabelled, CJK only; dehumanizing flagged share)"
	"$ML" eval --data "$SHARED/hk-io-2019-twitter-samples/scattertext_zh_tweets_tokenized.jsonl" --text-col text --label-col none --output dehumanizing --worst 0
else
	section "skipped: $SHARED is absent (ToxiCN, STATE ToxiCN, Taiwan and hk-io-2019 sets are evaluation-only and not in the repository)"
fi

[ -n "${SKIP_BENCH:-}" ] && exit 0
section "Latency and start-up (go test benchmarks, 5 runs)"
go test -run '^$' -bench 'Classify|PlainGo|Instance' -benchtime 2000x -count 5 ./model/
go test -run '^$' -bench 'Open' -benchtime 5x -count 5 ./model/
