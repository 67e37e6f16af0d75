#!/usr/bin/env python3
"""Run the whole test suite (SQLite unless DATABASE_URL is set). Extra arguments go to pytest."""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from bootstrap import ROOT, ensure_venv  # noqa: E402


def main() -> int:
    python = ensure_venv()
    if not shutil.which("chromium") and os.geteuid() == 0 and shutil.which("apt-get"):
        # Browser tests drive Debian's Chromium; Playwright's own browser download is not used.
        print("安装 Chromium 与中文字体（浏览器测试需要）…", flush=True)
        subprocess.call(["apt-get", "update", "-qq"])
        subprocess.call(["apt-get", "install", "-y", "-qq", "chromium", "fonts-wqy-microhei"])
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="kexie.settings.test")
    return subprocess.call([str(python), "-m", "pytest", *sys.argv[1:]], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
