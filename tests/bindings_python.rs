//! The Python package (`bindings/python`): its pytest suite against the library this test
//! run built, and `pip` building the library from source into a platform wheel (with a
//! stand-in for cargo that names the same library: no second build).
//!
//! The virtual environments and pip's cache live under the target directory, so reruns
//! only reinstall the package. PyPI is needed for pytest and the build backend
//! (setuptools); everything the tests send goes to 127.0.0.1.

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/packages.rs"]
mod packages;
#[path = "common/toolchain.rs"]
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;

use std::sync::Mutex;
use toolchain::run;

/// The tests of bindings/python/tests/test_cinnox.py; each must run and pass.
const PY_TESTS: &[&str] = &[
    "test_whole_flow",
    "test_failed_delivery_is_redelivered",
    "test_handler_exception_fails_the_event_and_it_is_redelivered",
    "test_handler_can_shut_serve_down",
    "test_closing_the_receiver_from_its_handler_ends_serve",
    "test_bad_token_is_an_api_error_with_cinnox_code",
    "test_invalid_arguments_raise_invalid_argument",
    "test_families_are_named_as_the_cli_names_them",
    "test_recv_times_out_and_close_wakes_a_waiting_recv",
    "test_iterating_a_receiver_yields_deliveries_until_it_is_shut_down",
    "test_blocking_calls_release_the_gil",
    "test_wire_variants_parse_the_same",
    "test_inbox_stores_before_answering_and_retries_then_dead_then_replay",
    "test_stats_read_every_counter_of_the_library",
    "test_changed_settings_rebuild_the_client_and_the_inbox",
    "test_metrics_and_the_metrics_port",
    "test_library_logs_reach_python_logging",
    "test_the_package_carries_its_library",
    "test_readme_example_runs",
];

/// pip builds in the package's directory: one build at a time.
static BUILD: Mutex<()> = Mutex::new(());

fn target() -> PathBuf {
    ffi::lib_dir().join("..")
}

/// A virtual environment at `dir` with pytest (the test fails without Python's venv).
fn venv(dir: &Path) -> PathBuf {
    let python = dir.join("bin/python");
    if !python.exists() {
        toolchain::require(
            "python3 with venv and pip (python3-venv, python3-pip)",
            Command::new("python3").arg("-m").arg("venv").arg(dir),
        );
    }
    toolchain::run(pip(&python).args(["install", "-q", "pytest>=7"]));
    python
}

fn pip(python: &Path) -> Command {
    let mut c = Command::new(python);
    c.args(["-m", "pip", "--disable-pip-version-check"])
        .env("PIP_CACHE_DIR", target().join("pip-cache"))
        .env_remove("CINNOX_LIBRARY");
    c
}

/// Run the pytest suite with `python`, from outside the source tree (so that the installed
/// package is what is imported), and check every test passed.
fn pytest(python: &Path) {
    let mut pytest = Command::new(python);
    pytest
        .args(["-m", "pytest", "-v", "-p", "no:cacheprovider"])
        .arg(ffi::root().join("bindings/python/tests"))
        .current_dir(std::env::temp_dir())
        .env_remove("CINNOX_LIBRARY")
        .env_remove("LD_LIBRARY_PATH");
    let out = ffi::output_within(&mut pytest, ffi::PROGRAM_LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pytest failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for name in PY_TESTS {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(&format!("::{name} PASSED"))),
            "{name} did not pass:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains("FAILED") && !stdout.contains("SKIPPED"),
        "{stdout}"
    );
}

#[test]
fn python_package_tests_pass() {
    let python = venv(&target().join("python-venv"));
    let lib = packages::library();
    {
        let _one = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        run(pip(&python)
            .args(["install", "-q", "--force-reinstall", "--no-deps"])
            .arg(ffi::root().join("bindings/python"))
            .env("CINNOX_LIBRARY", &lib));
    }
    pytest(&python);
}

/// `pip wheel` builds the library from source (with cargo, as `pip install
/// ./bindings/python` does; here cargo's stand-in, which names the library this test run
/// built: no second build) into a wheel tagged for the platform that carries it, stripped;
/// installed, it imports with no `LD_LIBRARY_PATH` and passes the same suite.
#[test]
fn pip_builds_the_library_into_a_platform_wheel() {
    let python = venv(&target().join("python-venv-src"));
    let lib = packages::library();
    let cargo = packages::cargo_stand_in(&target().join("python-cargo"));
    let wheels = target().join("python-wheel");
    let _ = std::fs::remove_dir_all(&wheels);
    {
        let _one = BUILD.lock().unwrap_or_else(|e| e.into_inner());
        run(pip(&python)
            .args(["wheel", "-q", "--no-deps", "-w"])
            .arg(&wheels)
            .arg(ffi::root().join("bindings/python"))
            .env("CARGO", &cargo));
    }
    let wheel = std::fs::read_dir(&wheels)
        .expect("the wheel directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .expect("a wheel");
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("cinnox-0.2.0-py3-none-linux_"),
        "a platform wheel for any Python 3: {name}"
    );
    let listing = run(Command::new(&python)
        .arg("-c")
        .arg("import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))")
        .arg(&wheel));
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.lines().any(|l| l == "cinnox/libcinnox.so"),
        "{listing}"
    );
    run(pip(&python)
        .args(["install", "-q", "--force-reinstall", "--no-deps"])
        .arg(&wheel));
    let size = run(Command::new(&python)
        .arg("-c")
        .arg("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo('cinnox/libcinnox.so').file_size)")
        .arg(&wheel));
    let size: u64 = String::from_utf8_lossy(&size.stdout)
        .trim()
        .parse()
        .unwrap();
    let built = std::fs::metadata(&lib).unwrap().len();
    assert!(
        size < built / 2,
        "the library in the wheel is stripped: {size} bytes of {built}"
    );
    let out = run(Command::new(&python)
        .args([
            "-c",
            "import cinnox; from cinnox import _ffi; print(cinnox.library_version()); print(_ffi.lib._name)",
        ])
        .current_dir(std::env::temp_dir())
        .env_remove("CINNOX_LIBRARY")
        .env_remove("LD_LIBRARY_PATH"));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("0.2.0"));
    let loaded = lines.next().unwrap_or_default();
    assert!(
        loaded.contains("python-venv-src/lib/")
            && loaded.ends_with("/site-packages/cinnox/libcinnox.so"),
        "{loaded}"
    );
    pytest(&python);
}

/// The Python block of README.md is the package's own README example, which the suite's
/// whole-flow test covers line for line.
#[test]
fn readme_python_snippet_is_the_packages_example() {
    let root = ffi::root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let package = std::fs::read_to_string(root.join("bindings/python/README.md"))
        .expect("bindings/python/README.md");
    let block = |text: &str| {
        let start = text.find("```python\n").expect("a python block") + "```python\n".len();
        let end = start + text[start..].find("```").expect("its end");
        text[start..end].to_owned()
    };
    assert_eq!(block(&readme), block(&package));
}
