from pathlib import Path

import pytest

from ingest.errors import ConfigError
from models.settings import DEFAULT_EMBEDDER, DEFAULT_LLM, Settings


def test_defaults_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    s = Settings.from_env({})
    assert s.home == Path("~/.cache/referat").expanduser()
    assert s.index_dir == Path("data/index")
    assert (s.embedder, s.llm, s.threads) == (DEFAULT_EMBEDDER, DEFAULT_LLM, 6)
    assert s.models_dir == s.home / "models"


def test_reads_every_variable(tmp_path: Path) -> None:
    env = {
        "REFERAT_HOME": str(tmp_path / "home"),
        "REFERAT_INDEX": str(tmp_path / "idx"),
        "REFERAT_EMBEDDER": "intfloat/multilingual-e5-base",
        "REFERAT_LLM": "smollm2-135m",
        "REFERAT_THREADS": " 3 ",
    }
    s = Settings.from_env(env)
    assert s.home == tmp_path / "home"
    assert s.index_dir == tmp_path / "idx"
    assert s.embedder == "intfloat/multilingual-e5-base"
    assert s.llm == "smollm2-135m"
    assert s.threads == 3


def test_empty_values_fall_back_to_defaults() -> None:
    s = Settings.from_env({"REFERAT_LLM": "", "REFERAT_THREADS": "  ", "REFERAT_EMBEDDER": ""})
    assert (s.llm, s.embedder) == (DEFAULT_LLM, DEFAULT_EMBEDDER)
    assert s.threads >= 1


def test_home_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings.from_env({"REFERAT_HOME": "~/r"}).home == tmp_path / "r"


@pytest.mark.parametrize("value", ["0", "-2", "many", "1.5"])
def test_bad_threads_name_the_value(value: str) -> None:
    with pytest.raises(ConfigError, match=f"REFERAT_THREADS.*{value!r}"):
        Settings.from_env({"REFERAT_THREADS": value})


def test_home_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError, match=r"REFERAT_HOME.*file"):
        Settings.from_env({"REFERAT_HOME": str(f)})


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Settings(threads=0)


def test_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.threads = 4  # type: ignore[misc]
