"""Builds the cinnox library with cargo and puts it inside the package.

`pip install ./bindings/python` runs `cargo build --release --lib --features postgres` in
the repository root (cargo and a C compiler are the only build needs; CARGO_TARGET_DIR is
honoured) and copies the shared library into the wheel, next to the Python modules, where
`cinnox` loads it: no LD_LIBRARY_PATH. Set CINNOX_LIBRARY to the path of a libcinnox built
already (for example by `./install-c.sh`) to package that one instead of building.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

if sys.platform == "darwin":
    LIBRARY = "libcinnox.dylib"
elif sys.platform == "win32":
    LIBRARY = "cinnox.dll"
else:
    LIBRARY = "libcinnox.so"


def built_library() -> Path:
    """The shared library: $CINNOX_LIBRARY, or built from the repository by cargo."""
    given = os.environ.get("CINNOX_LIBRARY")
    if given:
        path = Path(given)
        if not path.is_file():
            raise SystemExit(f"CINNOX_LIBRARY={given}: no such file")
        return path
    if not (ROOT / "Cargo.toml").is_file():
        raise SystemExit(
            f"cannot build the cinnox library: no Cargo.toml at {ROOT} "
            "(install from a checkout of the repository, or set CINNOX_LIBRARY)"
        )
    cmd = [
        os.environ.get("CARGO", "cargo"),
        "build",
        "--release",
        "--lib",
        "--features",
        "postgres",
        "--message-format=json-render-diagnostics",
    ]
    print("building the cinnox library:", " ".join(cmd), file=sys.stderr)
    try:
        run = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, check=True, text=True)
    except FileNotFoundError:
        raise SystemExit("cargo is needed to build the cinnox library (https://rustup.rs)")
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"cargo build failed ({e.returncode}); its errors are above")
    for line in run.stdout.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") != "compiler-artifact" or msg["target"]["name"] != "cinnox":
            continue
        for name in msg.get("filenames", []):
            if Path(name).name == LIBRARY:
                return Path(name)
    raise SystemExit(f"cargo built no {LIBRARY}")


class BuildWithLibrary(build_py):
    """build_py, plus the shared library inside the package."""

    def run(self):
        super().run()
        target = Path(self.build_lib) / "cinnox" / LIBRARY
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built_library(), target)
        strip(target)


def strip(library: Path) -> None:
    """Drop the debug information (about 50 MB → 4 MB), as ./install-c.sh does; the
    dynamic symbols stay. CINNOX_NO_STRIP=1 keeps it; without `strip` it is kept too."""
    if os.environ.get("CINNOX_NO_STRIP") == "1" or shutil.which("strip") is None:
        return
    subprocess.run(["strip", "--strip-debug", str(library)], check=True)


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform, not as pure Python."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """One wheel for every Python 3 of this platform: the package is plain Python over the
    library's C ABI (ctypes), so it depends on the platform, not on the interpreter."""

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel},
    distclass=BinaryDistribution,
)
