"""Create .venv and install requirements.txt when it changed; used by run.py and test.py (stdlib only)."""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
STAMP = VENV / ".requirements.sha256"


def ensure_venv() -> Path:
    if sys.version_info < (3, 11):
        sys.exit("需要 Python 3.11 或更高版本 / Python 3.11+ is required")
    if not PYTHON.exists():
        print("创建虚拟环境 .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("安装依赖（首次约需 1–2 分钟）…", flush=True)
        subprocess.check_call([str(PYTHON), "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([str(PYTHON), "-m", "pip", "install", "-q", "-r", str(ROOT / "requirements.txt")])
        STAMP.write_text(digest)
    return PYTHON


def manage(*args: str, env: dict | None = None) -> None:
    subprocess.check_call([str(PYTHON), str(ROOT / "manage.py"), *args], cwd=ROOT, env=env)
