# shellcheck shell=bash
#
# Debian package installation shared by scripts/test.sh and scripts/demo.sh.
# Source this file, then call
#
#     pz_ensure_packages PKG...
#
# It asks dpkg which of the packages are not installed and installs only
# those: as root with one `apt-get update` followed by `apt-get install -y
# --no-install-recommends`; as anyone else it prints the exact command to
# run and returns 1, so a `set -e` script stops there.

# What building parzen needs (the top-level meson.build requires these).
PZ_BUILD_PACKAGES=(
	build-essential
	meson
	ninja-build
	pkg-config
	libuv1-dev
	libsqlite3-dev
	libcjson-dev
	libmicrohttpd-dev
)

# What scripts/demo.sh needs on top: the system Python's numpy and
# scikit-learn for the CIFAR-style job of examples/cifar_style (the parzen
# package itself needs only the standard library).
# shellcheck disable=SC2034  # used by the scripts that source this file
PZ_DEMO_PACKAGES=(
	"${PZ_BUILD_PACKAGES[@]}"
	python3-numpy
	python3-sklearn
)

# What the test suites need on top of the demo's: cmocka for the C unit
# tests, valgrind for the valgrind test setup, the system Python's optuna
# and pytest for the Python tests and benchmarks (scikit-learn for the
# examples' tests, matplotlib for parzen.plotting's), and systemd for
# systemd-analyze and
# systemd-socket-activate (the unit files' checks; no systemd needs to run).
# The install suite: scdoc (man pages), man-db (man --warnings, lexgrog),
# bash-completion and zsh (the completions), python3-venv, -setuptools
# and -wheel (pip install ./python offline), python3-yaml (the Kubernetes
# example is parsed). The SSH-forward test:
# openssh-server and openssh-client. The slow suite (the .debs):
# debhelper, dh-python, lintian, fakeroot. The dashboard's browser tests
# (tests/browser: puppeteer-core from npm drives Debian's chromium):
# chromium, nodejs and npm.
# shellcheck disable=SC2034
PZ_TEST_PACKAGES=(
	"${PZ_DEMO_PACKAGES[@]}"
	libcmocka-dev
	valgrind
	python3-matplotlib
	python3-optuna
	python3-pytest
	systemd
	scdoc
	man-db
	bash-completion
	zsh
	python3-venv
	python3-setuptools
	python3-wheel
	python3-yaml
	openssh-server
	openssh-client
	debhelper
	dh-python
	lintian
	fakeroot
	chromium
	nodejs
	npm
)

# The system interpreter: a pyenv or virtualenv python3 earlier on PATH does
# not see Debian's python3-* packages.
# shellcheck disable=SC2034
PZ_PYTHON=/usr/bin/python3

# Installed, or provided by an installed package (nodejs from another
# archive provides npm, for one).
pz_package_installed()
{
	local status provides

	status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) &&
		[[ $status == "install ok installed" ]] && return 0
	# No early exit in a pipe (grep -q would break it under pipefail).
	provides=$(dpkg-query -W -f='${Status}|${Provides}\n' 2>/dev/null |
		sed -n 's/^install ok installed|//p' | tr ',' '\n' |
		sed 's/^ *//; s/ .*//')
	grep -qx -- "$1" <<<"$provides"
}

pz_ensure_packages()
{
	local missing=() pkg

	if ! command -v dpkg-query >/dev/null 2>&1; then
		echo "deps: dpkg-query not found; this script expects Debian." \
		     "Install the equivalents of: $*" >&2
		return 1
	fi
	for pkg in "$@"; do
		pz_package_installed "$pkg" || missing+=("$pkg")
	done
	if ((${#missing[@]} == 0)); then
		echo "deps: all ${#} packages installed"
		return 0
	fi
	if ((EUID != 0)); then
		echo "deps: missing packages: ${missing[*]}" >&2
		echo "deps: run as root:" >&2
		echo "    apt-get update && apt-get install -y" \
		     "--no-install-recommends ${missing[*]}" >&2
		return 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if [[ -z ${PZ_APT_UPDATED:-} ]]; then
		apt-get update </dev/null
		PZ_APT_UPDATED=1
	fi
	apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
}
