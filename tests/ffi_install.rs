//! The install route: `install-c.sh` puts the header, the libraries and `cinnox.pc` under a
//! prefix; a C program then builds with `pkg-config --cflags --libs cinnox` (shared) and
//! against `libcinnox.a` with the `Libs.private` native libraries (static), and runs.

#[path = "common/ffi.rs"]
mod ffi;

use std::process::Command;

const PROGRAM: &str = r#"#include <cinnox.h>
#include <stdio.h>
int main(void) {
    cinnox_event *ev = NULL;
    static const char body[] = "{\"challenge\":\"pc\"}";
    if (cinnox_parse((const uint8_t *)body, sizeof body - 1, &ev) != CINNOX_OK) return 1;
    printf("%s %s\n", cinnox_version(), cinnox_event_challenge(ev));
    cinnox_event_free(ev);
    return 0;
}
"#;

fn sh(cmd: &mut Command) -> String {
    let o = ffi::output_within(cmd, ffi::PROGRAM_LIMIT);
    assert!(
        o.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

#[test]
fn installed_library_builds_with_pkg_config_shared_and_static() {
    let dir = ffi::build_dir("install");
    let prefix = dir.join("prefix");
    sh(Command::new("sh")
        .arg(ffi::root().join("install-c.sh"))
        .args(["--no-build", "--from"])
        .arg(ffi::lib_dir())
        .arg("--prefix")
        .arg(&prefix));
    let lib = prefix.join("lib");
    assert!(prefix.join("include/cinnox.h").exists());
    // Installed stripped of debug information (the build keeps it).
    let sections = sh(Command::new("readelf")
        .arg("-S")
        .arg(lib.join(format!("libcinnox.so.{}", env!("CARGO_PKG_VERSION")))));
    assert!(sections.contains(".dynsym"), "{sections}");
    assert!(
        !sections.contains(".debug_info"),
        "not stripped:\n{sections}"
    );
    assert!(lib.join("libcinnox.a").exists());
    let version = env!("CARGO_PKG_VERSION");
    assert!(lib.join(format!("libcinnox.so.{version}")).exists());
    assert!(lib.join("libcinnox.so.0.2").exists());
    assert!(lib.join("libcinnox.so").exists());

    let src = dir.join("prog.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let pc_path = lib.join("pkgconfig");
    ffi::require_tool("pkg-config");
    let pkg = |args: &[&str]| {
        sh(Command::new("pkg-config")
            .env("PKG_CONFIG_PATH", &pc_path)
            .args(args)
            .arg("cinnox"))
    };
    assert_eq!(pkg(&["--modversion"]), version);
    let cflags = pkg(&["--cflags"]);
    let libs = pkg(&["--libs"]);
    assert_eq!(libs, format!("-L{} -lcinnox", lib.display()));

    // Shared: cc -std=c99 prog.c $(pkg-config --cflags --libs cinnox)
    let shared = dir.join("prog_shared");
    sh(Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .arg(&src)
        .args(cflags.split_whitespace())
        .args(libs.split_whitespace())
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&shared));
    assert_eq!(
        sh(Command::new(&shared).env_remove("LD_LIBRARY_PATH")),
        format!("{version} pc")
    );

    // Static: the archive plus the native libraries of Libs.private.
    let private = pkg(&["--libs", "--static"]);
    let natives: Vec<&str> = private
        .split_whitespace()
        .filter(|a| a.starts_with("-l") && *a != "-lcinnox")
        .collect();
    assert!(natives.contains(&"-lpthread"), "{private}");
    let stat = dir.join("prog_static");
    sh(Command::new("gcc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"])
        .arg(&src)
        .args(cflags.split_whitespace())
        .arg(lib.join("libcinnox.a"))
        .args(&natives)
        .arg("-o")
        .arg(&stat));
    assert_eq!(
        sh(Command::new(&stat).env_remove("LD_LIBRARY_PATH")),
        format!("{version} pc")
    );
    let ldd = sh(Command::new("ldd").arg(&stat));
    assert!(!ldd.contains("libcinnox"), "{ldd}");
}

#[test]
fn install_script_has_help_and_finds_the_libraries_under_cargo_target_dir() {
    let script = ffi::root().join("install-c.sh");
    let help = sh(Command::new("sh").arg(&script).arg("--help"));
    for needle in [
        "--prefix",
        "--no-build",
        "--from",
        "--no-strip",
        "CARGO_TARGET_DIR",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
    let bad = ffi::output_within(
        Command::new("sh").arg(&script).arg("--bogus"),
        ffi::PROGRAM_LIMIT,
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown argument --bogus"));

    // A target directory elsewhere (CARGO_TARGET_DIR): --no-build without --from finds the
    // libraries in its release/ directory.
    let dir = ffi::build_dir("install_target_dir");
    let target = dir.join("elsewhere");
    let release = target.join("release");
    std::fs::create_dir_all(&release).unwrap();
    for f in ["libcinnox.so", "libcinnox.a"] {
        std::fs::copy(ffi::lib_dir().join(f), release.join(f)).unwrap();
    }
    let prefix = dir.join("prefix");
    sh(Command::new("sh")
        .arg(&script)
        .arg("--no-build")
        .arg("--prefix")
        .arg(&prefix)
        .env("CARGO_TARGET_DIR", &target));
    assert!(prefix.join("lib/libcinnox.a").exists());
}

/// A size such as `7.8 MB` in `text` right before `` (`name`) ``.
fn stated_mb(text: &str, name: &str) -> f64 {
    let at = text
        .find(&format!(" MB\n(`{name}`"))
        .or_else(|| text.find(&format!(" MB (`{name}`")))
        .unwrap_or_else(|| panic!("the README states no size for {name}"));
    let number: String = text[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    number.parse().unwrap_or_else(|e| panic!("{number:?}: {e}"))
}

/// The installed libraries (a release build, stripped by install-c.sh) are the sizes the
/// README states, within 20 %; install-c.sh states none of its own.
#[test]
fn the_installed_libraries_are_the_sizes_the_readme_states() {
    let target = ffi::lib_dir().join("..");
    // The release build install-c.sh makes, in this run's target directory.
    sh(Command::new(env!("CARGO"))
        .current_dir(ffi::root())
        .env("CARGO_TARGET_DIR", &target)
        .env("CINNOX_SONAME", "1")
        .args([
            "build",
            "--release",
            "--lib",
            "--features",
            "postgres",
            "--quiet",
        ]));
    let dir = ffi::build_dir("install-sizes");
    let prefix = dir.join("prefix");
    let _ = std::fs::remove_dir_all(&prefix);
    sh(Command::new("sh")
        .arg(ffi::root().join("install-c.sh"))
        .args(["--no-build", "--from"])
        .arg(target.join("release"))
        .arg("--prefix")
        .arg(&prefix));
    let lib = prefix.join("lib");
    let mb = |name: &str| std::fs::metadata(lib.join(name)).unwrap().len() as f64 / 1e6;
    let so = mb(&format!("libcinnox.so.{}", env!("CARGO_PKG_VERSION")));
    let a = mb("libcinnox.a");
    let readme = std::fs::read_to_string(ffi::root().join("README.md")).unwrap();
    for (name, measured) in [("libcinnox.so", so), ("libcinnox.a", a)] {
        let stated = stated_mb(&readme, name);
        assert!(
            (measured - stated).abs() <= stated * 0.2,
            "{name}: the README says {stated} MB, installed it is {measured:.1} MB"
        );
    }
    let help = sh(Command::new("sh")
        .arg(ffi::root().join("install-c.sh"))
        .arg("--help"));
    assert!(
        !help.contains(" MB"),
        "install-c.sh --help states a size:\n{help}"
    );
}
