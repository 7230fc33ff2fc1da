#!/usr/bin/env bash
# The shop's test suite against hookplatform INSTALLED from this checkout (not the source tree):
# a venv of its own in var/host_shop_venv, a non-editable `pip install` of the checkout, then
# pytest from this folder with a PYTHONPATH that holds only the shop.
set -euo pipefail
SHOP_DIR="$(cd "$(dirname "$0")" && pwd)"
CHECKOUT="$(cd "$SHOP_DIR/../.." && pwd)"
VENV="${HOST_SHOP_VENV:-$CHECKOUT/var/host_shop_venv}"
export SHOP_VAR_DIR="${SHOP_VAR_DIR:-$CHECKOUT/var/host_shop}"
export CELERY_BROKER_URL="${HOST_SHOP_BROKER_URL:-redis://127.0.0.1:6379/5}"
# Secrets of this test run only, generated (the settings have no fallback); receivers on 127.0.0.1 allowed.
random_key() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
export SHOP_SECRET_KEY="${SHOP_SECRET_KEY:-$(random_key)$(random_key)}"
export WEBHOOKS_ENCRYPTION_KEYS="${WEBHOOKS_ENCRYPTION_KEYS:-$(random_key)}"
export SHOP_ALLOW_PRIVATE_NETWORKS=1

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> host_shop: creating $VENV"
  python3 -m venv "$VENV"
fi
echo "==> host_shop: installing hookplatform from $CHECKOUT (non-editable) and the test tools"
# Build from a copy so that no build/ or *.egg-info lands in the checkout.
BUILD_DIR="$(mktemp -d)"
trap 'rm -rf "$BUILD_DIR"' EXIT
tar -C "$CHECKOUT" --exclude=./.venv --exclude=./var --exclude=./.git --exclude=./examples -cf - . \
  | tar -C "$BUILD_DIR" -xf -
pip_quiet() { "$VENV/bin/python" -m pip --disable-pip-version-check -q "$@" 2> >(grep -v "is ignored" >&2); }
pip_quiet install --upgrade pip
pip_quiet wheel --no-deps -w "$BUILD_DIR/dist" "$BUILD_DIR"
WHEEL="$(ls "$BUILD_DIR"/dist/hookplatform-*.whl)"
pip_quiet install --force-reinstall --no-deps "$WHEEL"
pip_quiet install "$WHEEL" -r "$SHOP_DIR/requirements-test.txt"

cd "$SHOP_DIR"
rm -f "$SHOP_VAR_DIR"/test_shop.sqlite3*
echo "==> host_shop: pytest (hookplatform from $("$VENV/bin/python" -c 'import delivery, os; print(os.path.dirname(os.path.dirname(delivery.__file__)))'))"
env -u PYTHONPATH -u DJANGO_SETTINGS_MODULE PYTHONPATH="$SHOP_DIR" "$VENV/bin/python" -m pytest "$@"
