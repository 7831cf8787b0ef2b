"""The package works as installed, not only from the repository root: imports from another
directory, and a regular (non-editable) wheel install in a fresh virtual environment."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_python(python: str | Path, code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_installed_package_imports_from_outside_the_repository(tmp_path):
    code = (
        "import pathlib, sys\n"
        "import netgym, netgym.envs, netgym.envs.abr, netgym.baselines, netgym.leaderboard\n"
        "assert netgym.__version__ and netgym.__version__ != '0.0.0+unknown', netgym.__version__\n"
        "assert pathlib.Path(netgym.envs.__file__).is_file()\n"
        "assert hasattr(netgym.envs.abr, 'AbrStreamingEnv')\n"
        "print(netgym.__version__)\n"
        "print(pathlib.Path(netgym.envs.__file__).resolve())\n"
    )
    result = run_python(sys.executable, code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    version, envs_file = result.stdout.split()
    assert (
        version == tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]
    )
    assert Path(envs_file).is_file()


def package_dirs() -> dict[str, str]:
    """``setup.py``'s ``PACKAGE_DIRS`` (package name -> folder), read without running it."""
    tree = ast.parse((REPO_ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "PACKAGE_DIRS":
            return ast.literal_eval(node.value)
    raise AssertionError("setup.py has no PACKAGE_DIRS")


def test_every_package_folder_is_installed():
    """setup.py finds every folder with an __init__.py under the mapped roots (no hand list)."""
    import importlib.util

    for name, folder in package_dirs().items():
        for init in (REPO_ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(REPO_ROOT / folder).parts
            module = ".".join((name, *parts))
            assert importlib.util.find_spec(module) is not None, module


def copy_sources(dest: Path) -> Path:
    """Copy what the build needs (pyproject.toml, setup.py and the package folders it maps) so
    that the build leaves no build/ or egg-info behind in the working tree."""
    pyproject = REPO_ROOT / "pyproject.toml"
    config = tomllib.loads(pyproject.read_text())
    dest.mkdir()
    shutil.copy2(pyproject, dest)
    shutil.copy2(REPO_ROOT / "setup.py", dest)
    readme = config["project"].get("readme")
    if isinstance(readme, str) and (REPO_ROOT / readme).is_file():
        shutil.copy2(REPO_ROOT / readme, dest)
    for folder in set(package_dirs().values()):
        shutil.copytree(
            REPO_ROOT / folder,
            dest / folder,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    return dest


def test_wheel_installs_into_a_fresh_venv_and_runs_the_env(tmp_path):
    src = copy_sources(tmp_path / "src")
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["--no-index", "-q", "-w", str(wheels), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = wheels.glob("netgym-*.whl")

    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
        check=True,
        timeout=300,
    )
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    # The dependencies come from this interpreter's environment, appended after the new venv's
    # own site-packages (a plain path in a .pth file: the editable-install hook there is not run).
    purelib = run_python(python, "import sysconfig; print(sysconfig.get_path('purelib'))", tmp_path)
    new_site = Path(purelib.stdout.strip())
    # every site-packages folder this interpreter sees (a venv may chain another one's by a .pth)
    outer = [sysconfig.get_path("purelib")]
    outer += [path for path in sys.path if Path(path).name in ("site-packages", "dist-packages")]
    (new_site / "outer_env.pth").write_text("\n".join(dict.fromkeys(outer)) + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stdout + install.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import pathlib, gymnasium as gym, netgym, netgym.envs\n"
        "print(pathlib.Path(netgym.envs.__file__).resolve())\n"
        "print(netgym.__version__)\n"
        "env = gym.make('netgym/AbrStreaming-v0')\n"
        "obs, info = env.reset(seed=0)\n"
        "obs, reward, terminated, truncated, info = env.step(2)\n"
        "assert obs.shape == (6, 8) and info['quality'] == 2, (obs.shape, info)\n"
        "import netgym.envs.quantum, netgym.envs.moe, netgym.baselines\n"
        "import netgym.cli.main, netgym.evaluation, netgym.leaderboard, netgym.provenance\n"
        "assert len(netgym.baselines.BASELINES) == len(netgym.envs.ENV_IDS)\n"
        "from netgym.data import load_manifest  # the manifest is a package resource\n"
        "assert len(load_manifest()['abr/fcc-test'].files) == 101\n"
        "print('ok')\n"
    )
    result = run_python(python, code, cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    envs_file, version, status = result.stdout.split()
    assert Path(envs_file).is_relative_to(new_site.resolve())  # the wheel, not the checkout
    assert version != "0.0.0+unknown"
    assert status == "ok"


TRAINING_STACK = ("torch", "stable_baselines3", "sb3_contrib", "supersuit")
"""the [train] extra: the envs, baselines, leaderboard and ``netgym list`` must not need it"""


@pytest.mark.parametrize("blocked", [False, True], ids=["installed", "missing"])
def test_envs_baselines_leaderboard_and_list_do_not_import_the_training_stack(tmp_path, blocked):
    code = (
        "import contextlib, io, sys\n"
        f"for name in {TRAINING_STACK if blocked else ()!r}:\n"
        "    sys.modules[name] = None  # import name now raises ImportError: not installed\n"
        "import netgym.envs, netgym.baselines, netgym.leaderboard\n"
        "from netgym.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    assert main(['list']) == 0\n"
        "assert 'abr-synthetic' in out.getvalue()\n"
        f"print(sorted(name for name in {TRAINING_STACK!r} if sys.modules.get(name)))\n"
    )
    result = run_python(sys.executable, code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "[]", result.stdout


def test_training_stack_is_the_train_extra():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names = {
        dep.split(">")[0].split("=")[0].split("[")[0].strip() for dep in config["dependencies"]
    }
    extras = config["optional-dependencies"]
    assert not names & {"torch", "stable-baselines3", "sb3-contrib", "supersuit"}
    train = {dep.split(">")[0].strip() for dep in extras["train"]}
    assert {"torch", "stable-baselines3", "sb3-contrib", "supersuit", "tensorboard"} <= train
    assert "netgym[train]" in extras["llm"] and extras["all"] == ["netgym[train,llm,ray,video]"]
