//! A subscription as CINNOX answered it, in C: `cinnox_subscription_*`.

use std::ffi::{c_char, CString};

use super::{get, opt_ptr, to_cstring, Failure};
use crate::client::Subscription;

/// A subscription as CINNOX reported it. Made by `cinnox_client_set_subscription` and its
/// shorthands, freed by `cinnox_subscription_free`. Immutable; thread-safe to read.
pub struct cinnox_subscription {
    enabled: bool,
    url: CString,
    updated_at: Option<CString>,
}

impl cinnox_subscription {
    pub(crate) fn from_rust(s: Subscription) -> Result<cinnox_subscription, Failure> {
        Ok(cinnox_subscription {
            enabled: s.enabled,
            url: to_cstring(&s.url, "the subscription URL CINNOX answered")?,
            updated_at: match &s.updated_at {
                Some(t) => Some(to_cstring(t, "the updatedAt CINNOX answered")?),
                None => None,
            },
        })
    }
}

/// Whether the subscription is active. false when `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_enabled(sub: *const cinnox_subscription) -> bool {
    // SAFETY: the caller passes NULL or a live subscription.
    get(false, || unsafe { sub.as_ref() }.is_some_and(|s| s.enabled))
}

/// The webhook URL as CINNOX reported it, NUL-terminated, borrowed from `sub` and valid as
/// long as it. NULL when `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_url(sub: *const cinnox_subscription) -> *const c_char {
    // SAFETY: the caller passes NULL or a live subscription.
    get(std::ptr::null(), || {
        unsafe { sub.as_ref() }.map_or(std::ptr::null(), |s| s.url.as_ptr())
    })
}

/// When the subscription last changed, RFC 3339 text as CINNOX sent it, borrowed from `sub`
/// and valid as long as it. NULL when CINNOX omitted it (some families do) or `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_updated_at(
    sub: *const cinnox_subscription,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a live subscription.
    get(std::ptr::null(), || {
        unsafe { sub.as_ref() }.map_or(std::ptr::null(), |s| opt_ptr(&s.updated_at))
    })
}

/// Free a subscription. NULL does nothing; the strings it lent become invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_free(sub: *mut cinnox_subscription) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(sub) })
}
