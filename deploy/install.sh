#!/bin/sh
# Install the dashboard on a server without internet, from the offline bundle this file lies in.
#
#   sudo sh install.sh [PREFIX]          # default PREFIX /opt/kpi-dashboard
#   PYTHON=/usr/bin/python3.11 sh install.sh /opt/kpi-dashboard
#
# Makes PREFIX/venv (a virtual environment, from ./wheels only: --no-index, every file checked
# against the sha256 in ./requirements.lock) and copies the program to PREFIX/app (on an upgrade
# the previous ones are kept as PREFIX/venv.previous and PREFIX/app.previous; stop the service first). It touches no database and no service: the
# steps after it are in docs/deploy.md (user, environment file, systemd unit, nginx).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${1:-${KPI_PREFIX:-/opt/kpi-dashboard}}
PYTHON=${PYTHON:-python3}

if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  echo "错误：需要 Python 3.11 或 3.12（当前 $PYTHON：$("$PYTHON" -V 2>&1 || echo 未找到)）；可用 PYTHON=/path/to/python3.11 指定。" >&2
  exit 2
fi
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "错误：$PYTHON 缺少 venv/ensurepip 模块（Debian/UOS：apt install python3-venv；openEuler/麒麟：dnf install python3-pip）。" >&2
  exit 2
fi
[ -d "$HERE/wheels" ] || { echo "错误：找不到 $HERE/wheels（请在解压后的离线包目录中运行）。" >&2; exit 2; }

echo "==> 1/3 虚拟环境 $PREFIX/venv（$("$PYTHON" -V 2>&1)，$(uname -m)）"
mkdir -p "$PREFIX"
if [ -d "$PREFIX/venv" ]; then  # an upgrade: keep the previous environment for a rollback
  rm -rf "$PREFIX/venv.previous"
  mv "$PREFIX/venv" "$PREFIX/venv.previous"
fi
"$PYTHON" -m venv "$PREFIX/venv"

echo "==> 2/3 从离线包安装依赖（不联网，逐个校验 sha256）"
# No machine or user pip.conf (it may name an index or constraints); only the bundle's wheels.
PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 "$PREFIX/venv/bin/python" -m pip install --no-index \
  --find-links "$HERE/wheels" --only-binary=:all: --require-hashes --no-cache-dir \
  --disable-pip-version-check -q -r "$HERE/requirements.lock"
PIP_CONFIG_FILE=/dev/null "$PREFIX/venv/bin/python" -m pip check --disable-pip-version-check

echo "==> 3/3 程序文件 $PREFIX/app"
if [ -d "$PREFIX/app" ]; then
  rm -rf "$PREFIX/app.previous"
  mv "$PREFIX/app" "$PREFIX/app.previous"
fi
cp -R "$HERE/app" "$PREFIX/app"
(cd "$PREFIX/app" && "$PREFIX/venv/bin/python" -c "import data_access.cli.main, streamlit; print('streamlit', streamlit.__version__)")
echo "完成。下一步（建用户、环境文件、systemd 服务、nginx）见 $PREFIX/app/docs/deploy.md"
