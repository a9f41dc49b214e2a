//! Build script. The C ABI issue fills this in: cbindgen writes include/cinnox.h.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
