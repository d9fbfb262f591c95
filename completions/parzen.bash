# bash completion for parzen(1): commands, options, and study names asked
# of the daemon (`parzen ls --names`, on the --socket given on the line if
# any). Installed as `parzen` in bash-completion's completions directory,
# where it is loaded on first use; works sourced on its own too.

# The study names parzend knows, one per line; nothing if it is not there.
_parzen_studies()
{
	local i sock=()

	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket) sock=(--socket "${COMP_WORDS[i + 1]}") ;;
		--socket=*) sock=("${COMP_WORDS[i]}") ;;
		esac
	done
	command parzen "${sock[@]}" ls --names 2>/dev/null
}

# COMPREPLY = the study names that start with $1, quoted for the shell.
_parzen_complete_studies()
{
	local name

	COMPREPLY=()
	while IFS= read -r name; do
		[[ $name == "$1"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
	done < <(_parzen_studies)
}

_parzen()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="create ls show best trials enqueue set pause resume rm watch worker ask tell heartbeat report plot dashboard export import backup status stop"
	local cmd="" cmd_at=0 npos=0 i opts

	# The command is the first word that is not an option (or the value
	# of --socket); count the positional words after it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--socket | --space | --algo | --seed | --max-trials | \
			--heartbeat-timeout | --config | --pruner | --state | \
			--limit | \
			--offset | --interval | --count | --grace | -o | \
			--output | --scale | --worker | --status | --result | \
			--attempt | --as | --timeout)
			((i++)) ;;
		--)
			if [[ $cmd == worker ]]; then
				# After "--": the command a worker runs.
				if ((i == COMP_CWORD - 1)); then
					mapfile -t COMPREPLY < <(compgen -c -- "$cur")
				else
					mapfile -t COMPREPLY < <(compgen -f -- "$cur")
				fi
				return 0
			fi ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
				cmd_at=$i
			else
				((npos++))
			fi ;;
		esac
	done

	case $prev in
	--socket | --space | -o | --output)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0 ;;
	--status)
		mapfile -t COMPREPLY < <(compgen -W "ok fail pruned" -- "$cur")
		return 0 ;;
	--worker | --result | --attempt | --as | --timeout)
		return 0 ;;
	--algo)
		mapfile -t COMPREPLY < <(compgen -W "tpe random" -- "$cur")
		return 0 ;;
	--state)
		mapfile -t COMPREPLY < <(compgen -W "queued running ok fail pruned" -- "$cur")
		return 0 ;;
	--scale)
		mapfile -t COMPREPLY < <(compgen -W "auto linear log" -- "$cur")
		return 0 ;;
	--seed | --max-trials | --heartbeat-timeout | --config | --pruner | \
		--limit | \
		--offset | --interval | --count | --grace)
		return 0 ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "--socket --help --version" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		fi
		return 0
	fi
	((cmd_at > 0)) || return 0

	case $cmd in
	create) opts="--space --algo --seed --max-trials --heartbeat-timeout --config --pruner --exist-ok --json" ;;
	ls) opts="--json --names" ;;
	show | best) opts="--json" ;;
	trials) opts="--state --csv --json --limit --offset" ;;
	enqueue) opts="--index --json" ;;
	set) opts="--max-trials --heartbeat-timeout --pruner --json" ;;
	ask) opts="--json --worker --wait" ;;
	tell) opts="--status --result --attempt --json" ;;
	heartbeat) opts="--attempt --json" ;;
	export) opts="--output --csv" ;;
	import) opts="--as --exist-ok --json" ;;
	backup) opts="--force --json" ;;
	status) opts="--json" ;;
	stop) opts="--timeout" ;;
	pause | resume) opts="" ;;
	rm) opts="--yes" ;;
	watch) opts="--interval" ;;
	worker) opts="--count --grace --" ;;
	report) opts="--output --scale" ;;
	plot) opts="--output --scale" ;;
	dashboard) opts="--listen --study --token --poll" ;;
	*) return 0 ;;
	esac

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$opts --socket --help" -- "$cur")
		return 0
	fi
	case $cmd in
	create | ls | dashboard | tell | heartbeat | status | stop) ;;
	import | backup)
		((npos == 0)) && mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
	plot)
		if ((npos == 0)); then
			_parzen_complete_studies "$cur"
		elif ((npos == 1)); then
			mapfile -t COMPREPLY < <(compgen -W "history learning importance effects priors pairs parallel contour edf timeline" -- "$cur")
		fi ;;
	enqueue)
		if ((npos == 0)); then
			_parzen_complete_studies "$cur"
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi ;;
	*)
		((npos == 0)) && _parzen_complete_studies "$cur" ;;
	esac
	return 0
}

complete -F _parzen parzen
