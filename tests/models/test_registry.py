import re
from pathlib import Path

import pytest

from ingest.errors import ConfigError, ModelUnavailable
from models.recipes import InCode
from models.registry import MODELS, ModelSpec, get_spec, model_path, resolve_embedder, resolve_llm
from models.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", threads=1)


def test_defaults_are_registered() -> None:
    assert get_spec(Settings().embedder, "embedder") is not None
    assert get_spec(Settings().llm, "llm") is not None
    assert MODELS["qwen2.5-coder-1.5b"].sha256 is not None
    assert get_spec("qwen2.5-coder-1.5b", "embedder") is None  # right name, wrong kind


def test_every_spec_says_how_to_install_its_source() -> None:
    for spec in MODELS.values():
        assert spec.install.startswith("pip install") or isinstance(spec.recipe, InCode), spec.id


def test_spec_kind_is_validated() -> None:
    with pytest.raises(ConfigError, match="'reranker'; register it as one"):
        ModelSpec(id="x", kind="reranker", source="", description="", recipe=InCode())  # type: ignore[arg-type]


def test_registered_embedder_resolves_to_its_folder_under_home(settings: Settings) -> None:
    folder = settings.models_dir / "multilingual-e5-small-onnx-int8"
    folder.mkdir(parents=True)
    assert resolve_embedder("multilingual-e5-small-int8", settings=settings, provision=False) == str(folder)


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("multilingual-e5-small", "multilingual-e5-small-onnx-fp32"),
        ("multilingual-e5-small-int8", "multilingual-e5-small-onnx-int8"),
        ("multilingual-e5-small-torch", "multilingual-e5-small"),
    ],
)
def test_each_e5_form_resolves_to_its_own_folder(settings: Settings, name: str, folder: str) -> None:
    (settings.models_dir / folder).mkdir(parents=True)
    assert resolve_embedder(name, settings=settings, provision=False) == str(settings.models_dir / folder)
    assert get_spec(name, "embedder") is not None


def test_unprovisioned_embedder_says_what_to_run(settings: Settings) -> None:
    with pytest.raises(ModelUnavailable, match="referat models provision"):
        resolve_embedder("multilingual-e5-small", settings=settings, provision=False)


def test_local_embedder_folder_is_used_as_is(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "my-model").mkdir()
    assert resolve_embedder(str(tmp_path / "my-model"), settings=settings) == str(tmp_path / "my-model")


def test_other_names_pass_through_as_hub_ids(settings: Settings) -> None:
    assert resolve_embedder("intfloat/multilingual-e5-base", settings=settings) == "intfloat/multilingual-e5-base"


@pytest.mark.parametrize("name", ["/no/such/model", "./missing", "~/missing-model"])
def test_missing_local_embedder_path_is_an_error_not_a_hub_id(settings: Settings, name: str) -> None:
    with pytest.raises(ModelUnavailable, match="REFERAT_EMBEDDER"):
        resolve_embedder(name, settings=settings)


def test_gguf_path_resolves_to_itself(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert resolve_llm(str(f), settings=settings) == f


def test_non_gguf_file_is_refused(settings: Settings, tmp_path: Path) -> None:
    f = tmp_path / "m.bin"
    f.write_bytes(b"x")
    with pytest.raises(ModelUnavailable, match=re.escape("not a .gguf")):
        resolve_llm(str(f), settings=settings)


def test_missing_gguf_path(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match="No GGUF file"):
        resolve_llm(str(tmp_path / "gone.gguf"), settings=settings)


def test_unknown_llm_lists_the_registered_ones(settings: Settings) -> None:
    with pytest.raises(ModelUnavailable, match=re.escape("qwen2.5-coder-1.5b, smollm2-135m")):
        resolve_llm("gpt-17", settings=settings)


def test_unprovisioned_llm_says_what_to_run(settings: Settings) -> None:
    with pytest.raises(ModelUnavailable, match="referat models provision"):
        resolve_llm("qwen2.5-coder-1.5b", settings=settings, provision=False)


def test_qwen_lives_under_home(settings: Settings) -> None:
    path = model_path(MODELS["qwen2.5-coder-1.5b"], settings)
    assert path.parent == settings.models_dir and path.suffix == ".gguf"


def test_smollm2_resolves_to_the_installed_file(settings: Settings) -> None:
    path = resolve_llm("smollm2-135m", settings=settings)
    assert path.is_file() and path.read_bytes()[:4] == b"GGUF"


def test_the_registry_does_not_import_provisioning() -> None:
    import subprocess
    import sys

    probe = "import sys, models.registry; print('models.provision' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_the_test_fakes_are_registered_but_not_offered_to_users(settings: Settings) -> None:
    assert isinstance(MODELS["hash-64"].recipe, InCode) and MODELS["hash-64"].dimension == 64
    assert get_spec("scripted", "llm") is not None
    with pytest.raises(ModelUnavailable, match="made in code"):
        model_path(MODELS["scripted"], settings)
    with pytest.raises(ModelUnavailable) as e:
        resolve_llm("gpt-17", settings=settings)
    assert "scripted" not in str(e.value)
