"""A real wheel, installed into a fresh virtual environment outside the
checkout, finds its templates and config and serves a page."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.ports import free_port

pytestmark = pytest.mark.slow


def test_wheel_installs_and_serves(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("servicedesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "servicedesk/templates/messages/ticket_received.fi.txt" in names
    assert "servicedesk/config/regions/municipalities.csv" in names
    assert any(n.startswith("servicedesk/config/directory/") for n in names)
    assert "servicedesk/migrations/versions/0001_initial_schema.py" in names
    assert "servicedesk/migrations/script.py.mako" in names

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    # The dependencies come from this test run's environment (no network
    # needed); the project itself only from the wheel: .pth lines add the
    # folder to sys.path but do not run its editable-install hooks.
    site_dir = next((env_dir / "lib").glob("python3*/site-packages"))
    (site_dir / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(site_dir),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "SERVICEDESK_DEMO": "1",
        "SERVICEDESK_INSTANCE_PATH": str(work / "instance"),
        "SERVICEDESK_LOG_LEVEL": "WARNING",
    }
    located = subprocess.run(
        [str(python), "-c", "import servicedesk; print(servicedesk.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(site_dir) in located.stdout, "the wheel, not the checkout, must be imported"
    # The console script the wheel declares (pip --target writes it to
    # bin/; run by the fresh environment's interpreter).
    script = site_dir / "bin" / "servicedesk"
    assert script.exists(), "the wheel must declare the servicedesk console script"
    helped = subprocess.run(
        [str(python), str(script), "--help"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0 and "serve" in helped.stdout
    demo = subprocess.run(
        [str(python), "-m", "servicedesk", "demo", "--tickets", "2"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert demo.returncode == 0, demo.stderr
    assert "admin@demo.example.fi" in demo.stdout

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as handle:
        server = subprocess.Popen(
            [str(python), str(script), "serve", "--port", str(port)],
            cwd=work,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        body = b""
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read()
                break
            except OSError:
                time.sleep(0.2)
        assert b'"database":"up"' in body.replace(b" ", b""), log.read_text()[-3000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5) as r:
            assert r.status == 200
        # A page rendered from the wheel's templates, with its translations.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/contact?lang=fi", timeout=5) as r:
            page = r.read().decode()
            assert r.status == 200 and r.headers.get_content_type() == "text/html"
        assert '<html lang="fi"' in page and "<form" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
            assert r.status == 200 and b"password" in r.read()
    finally:
        server.terminate()
        server.wait(timeout=20)
