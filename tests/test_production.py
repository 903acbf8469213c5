"""Production mode (DEBUG=0) is checked in a fresh process, as it would start on a server."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _production_env(tmp_path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="crm.example.com",
        EMAIL_HOST="smtp.example.com",
        STATIC_ROOT=str(tmp_path / "static"),
        DATA_DIR=str(tmp_path / "data"),
    )
    return env


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_serves_hashed_static_files(tmp_path):
    script = """
import django, os
django.setup()
from django.core.management import call_command
from django.test import Client
from django.templatetags.static import static
call_command("collectstatic", "--noinput", verbosity=0)
from whitenoise.middleware import WhiteNoiseMiddleware  # noqa: F401
url = static("vendor/bootstrap-5.3.8/bootstrap.min.css")
assert "bootstrap.min." in url and url != "/static/vendor/bootstrap-5.3.8/bootstrap.min.css", url
response = Client(SERVER_NAME="crm.example.com").get(url, secure=True)
print(response.status_code, response.headers.get("Cache-Control"))
"""
    env = _production_env(tmp_path) | {"DJANGO_SETTINGS_MODULE": "crm.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    status, cache_control = result.stdout.split(" ", 1)
    assert status == "200"
    assert "max-age" in cache_control


def test_check_deploy_warns_when_mail_would_only_reach_the_dev_mailbox(tmp_path):
    env = _production_env(tmp_path)
    del env["EMAIL_HOST"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "surveys.W001" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_setting_stops_start_up_naming_the_variable(tmp_path):
    env = _production_env(tmp_path) | {"DEBUG": "maybe"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
