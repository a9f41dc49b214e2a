//! Misuse of the C API gives result codes, never a crash: NULL for every pointer argument,
//! `_free(NULL)` for every handle type, strings that are not UTF-8.

#[path = "common/ffi.rs"]
mod ffi;

#[test]
fn c_program_misusing_every_function_gets_result_codes() {
    let dir = ffi::build_dir("misuse");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/abi_misuse.c").as_path()],
        &dir.join("abi_misuse"),
    );
    let out = ffi::run(&exe, &[], &[]).success();
    assert!(out.starts_with("misuse ok: "), "{out}");
    let run = ffi::run_valgrind(&exe, &[], &[]);
    assert!(run.success().starts_with("misuse ok: "));
}

#[test]
fn cpp_compiles_the_misuse_program_too() {
    let dir = ffi::build_dir("misuse_cpp");
    let src = dir.join("abi_misuse.cpp");
    std::fs::copy(ffi::root().join("tests/c/abi_misuse.c"), &src).unwrap();
    let exe = ffi::compile_cpp(&[src.as_path()], &dir.join("abi_misuse_cpp"));
    let out = ffi::run(&exe, &[], &[]).success();
    assert!(out.starts_with("misuse ok: "), "{out}");
}
