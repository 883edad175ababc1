import json
from pathlib import Path

import pytest

from bot.cli import main
from storage import Repository
from storage.jobs import JobSpec, JobStore
from storage.leases import Leases
from tests import photo_samples


def test_check_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.jpg"
    good.write_bytes(photo_samples.headshot_jpeg())
    small = tmp_path / "small.png"
    small.write_bytes(photo_samples.tiny_png())
    assert main(["check", str(good), "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["path"] == str(good) and result["ok"] is True and result["timing_ms"] > 0
    assert set(result) == {"path", "ok", "findings", "autofix_helps", "timing_ms"}
    assert main(["check", str(good), str(small), "--json"]) == 1
    results = json.loads(capsys.readouterr().out)
    finding = next(f for f in results[1]["findings"] if f["code"] == "resolution")
    assert finding["severity"] == "fail" and finding["measured"] == "300×300 px"


def test_check_human_output_and_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    small = tmp_path / "small.png"
    small.write_bytes(photo_samples.tiny_png())
    assert main(["check", str(small)]) == 1
    out = capsys.readouterr().out
    assert "FAIL resolution" in out and "512×512" in out
    assert main(["check", str(tmp_path / "missing.jpg")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2


def test_run_without_credentials_names_every_missing_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TAVUS_API_KEY", "S3_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "TAVUS_API_KEY", "S3_BUCKET"):
        assert name in err


def test_rotate_key_re_encrypts_with_the_newest_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main
    from bot.workspaces.secrets import Keyring
    from storage import Repository

    old, new = Keyring.new_key(), Keyring.new_key()
    db = str(tmp_path / "bot.db")
    repo = Repository(db)
    repo.set_tavus_key("-:T1", Keyring([old]).encrypt("tvs-key-abcd"), "…abcd", "U1")
    repo.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", db)
    monkeypatch.setenv("ENCRYPTION_KEY", f"{new},{old}")
    assert main(["rotate-key"]) == 0
    assert "1 secrets re-encrypted" in capsys.readouterr().out
    stored = Repository(db).tavus_key("-:T1")
    assert stored is not None and Keyring([new]).decrypt(stored.sealed) == "tvs-key-abcd"
    monkeypatch.setenv("ENCRYPTION_KEY", "not-a-key")
    assert main(["rotate-key"]) == 2
    assert "not a Fernet key" in capsys.readouterr().err


def test_audit_prints_csv_or_json_and_refuses_a_bad_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from bot.cli import main
    from storage import Repository
    from storage.audit import AuditEvent

    db = str(tmp_path / "bot.db")
    repo = Repository(db)
    repo.audit(AuditEvent("T1", "tavus_key_set", "UADMIN", None, {"shown": "…abcd"}))
    repo.audit(AuditEvent("T2", "tavus_key_removed", "UOTHER"))
    repo.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_PATH", db)
    assert main(["audit", "--team", "T1", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["actor"]) for r in rows] == [("tavus_key_set", "UADMIN")]
    assert main(["audit", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out.strip() == "id,at,team_id,enterprise_id,actor,action,subject,details"
    assert main(["audit", "--since", "last tuesday"]) == 2
    assert "--since must be a date" in capsys.readouterr().err


def test_check_writes_the_preview_and_the_fixed_photo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from tests.photos import build

    loose = tmp_path / "loose.jpg"
    build.apply(build.source("astro"), ["pad", 2.2, 2.2, 0.5, 0.5], "astro").resize((2600, 2600)).save(loose)
    preview, fixed = tmp_path / "preview.png", tmp_path / "fixed.jpg"
    assert main(["check", str(loose), "--preview", str(preview), "--fix", str(fixed)]) == 0
    out = capsys.readouterr().out
    assert "cropped to head and shoulders" in out and f"written to {fixed}" in out
    assert Image.open(preview).format == "PNG" and max(Image.open(preview).size) <= 768
    width, height = Image.open(fixed).size
    assert min(width, height) >= 512 and max(width, height) < 2600  # a crop of the full photo, not upscaled
    good = tmp_path / "good.jpg"
    build.source("astro").resize((1024, 1024)).save(good)
    assert main(["check", str(good), "--fix", str(tmp_path / "none.jpg")]) == 0
    assert "no fix" in capsys.readouterr().out and not (tmp_path / "none.jpg").exists()
    assert main(["check", str(good), str(loose), "--preview", str(preview)]) == 2


def test_jobs_lists_jobs_processes_and_says_when_no_worker_is_alive(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.setenv("DATABASE_URL" if "://" in database_url else "DATABASE_PATH", database_url)
    db = Repository(database_url).db
    JobStore(db).enqueue(JobSpec("check_photo", {}, subject="s1"))
    assert main(["jobs"]) == 0
    out = capsys.readouterr().out
    assert "jobs by state: available 1" in out and "check_photo [available] attempt 0/5 s1" in out
    assert "no worker alive in the last 120 s (1 job(s) due and waiting, the oldest for" in out
    Leases(db).beat("worker-abc", "worker")
    assert main(["jobs", "--state", "available"]) == 0
    out = capsys.readouterr().out
    assert "process worker-abc (worker)" in out and "workers alive: 1; 1 job(s) due and waiting" in out
