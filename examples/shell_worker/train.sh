#!/bin/sh
# A stand-in for a training run, for `parzen worker` to run once per trial.
# It reads the trial's hyperparameters from $PARZEN_PARAMS, "trains" for
# $TRAIN_SECONDS seconds (default 1) and prints its outcome as the last
# line of stdout: a JSON result dict with the loss. Everything it prints
# before that is only log. See README.md.
set -eu

# One value from the flat params, {"lr":0.01,"layers":3,"optimizer":"adam"}
# (a choice is its option's value). The values here are numbers and plain
# strings, so sed is enough; a real script would use jq or its own
# language's JSON parser.
param() {
	printf '%s\n' "$PARZEN_PARAMS" |
		sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"
}

lr=$(param lr)
layers=$(param layers)
dropout=$(param dropout)
optimizer=$(param optimizer)

echo "trial $PARZEN_TRIAL_NUMBER: lr=$lr layers=$layers" \
	"dropout=$dropout optimizer=$optimizer"
sleep "${TRAIN_SECONDS:-1}"

# Much dropout on a shallow net "diverges": a non-zero exit fails the
# trial, and the end of stderr is kept in its result.
if awk -v d="$dropout" -v l="$layers" \
	'BEGIN { exit !(d > 0.5 && l < 3) }'; then
	echo "loss diverged (dropout $dropout with $layers layers)" >&2
	exit 1
fi

# The "validation loss" is lowest near lr = 0.01, 4 layers, dropout 0.2
# and adam. Printing just the number would do; the JSON form also stores
# the other keys (val_accuracy) as the trial's result.
awk -v lr="$lr" -v l="$layers" -v d="$dropout" -v o="$optimizer" 'BEGIN {
	x = log(lr) / log(10) + 2
	loss = x * x + (l - 4) * (l - 4) / 8 + 4 * (d - 0.2) * (d - 0.2)
	if (o == "sgd")
		loss += 0.3
	printf "{\"loss\": %.6f, \"status\": \"ok\", \"val_accuracy\": %.4f}\n",
	       loss, 1 / (1 + loss)
}'
