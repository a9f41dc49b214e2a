//! Strings the library hands out to own, in C: `cinnox_string_free`.

use std::ffi::{c_char, CString};

use super::get;

/// Free a string the library handed out to own (`cinnox_receiver_metrics`). NULL does
/// nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_string_free(s: *mut c_char) {
    get((), || {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in this library, freed once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}
