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
    let o = cmd.output().expect("run");
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
    assert!(lib.join("libcinnox.a").exists());
    let version = env!("CARGO_PKG_VERSION");
    assert!(lib.join(format!("libcinnox.so.{version}")).exists());
    assert!(lib.join("libcinnox.so.0.1").exists());
    assert!(lib.join("libcinnox.so").exists());

    let src = dir.join("prog.c");
    std::fs::write(&src, PROGRAM).unwrap();
    let pc_path = lib.join("pkgconfig");
    if Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("pkg-config not installed: skipping the pkg-config builds");
        return;
    }
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
