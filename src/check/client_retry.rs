//! A client's retry decisions (Always): `ExponentialTimeBoundedRetry` retries only what is
//! retryable, until its time is spent, and a definite answer is what the caller gets.
//!
//! The client records what each failed attempt heard (`AttemptFailed`'s answer: no primary, no
//! answer in time, Unavailable) before it backs off; a definite answer from the namespace
//! (`NotFound`, `AlreadyExists`, ...) ends the call with that answer. So:
//! 1. no attempt that heard a definite answer is retried;
//! 2. a call that ends with a definite error ends on the attempt that heard it (no failed
//!    attempt after its last attempt);
//! 3. a call that ends Unavailable ends after a failed attempt (its last attempt heard something
//!    retryable), and only once `user.rpc.retry.max.duration` has passed since it was invoked:
//!    the policy gives up only when its time is spent, never early.

use super::{Breach, Check, Property};
use crate::history::{Event, EventKind};
use crate::op::{AttemptAnswer, CallError};
use crate::options::Options;
use std::collections::BTreeMap;

/// The property, as the table in [`super::PROPERTIES`] lists it.
pub const PROPERTY: Property = Property {
    name: "client_retry",
    check: Check::Always(check),
};

/// Where a call stands: when it was invoked, and whether its latest attempt failed.
struct Call {
    invoked_us: u64,
    last_failed: bool,
}

/// The first breach of `client_retry` in `events`, if any.
pub fn check(events: &[Event], options: &Options) -> Option<Breach> {
    let max_duration_us = options.user_rpc_retry_max_duration_ms * 1000;
    let mut calls: BTreeMap<u64, Call> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        let fail = |detail: String| Some(Breach::at(events, i, detail));
        match &e.kind {
            EventKind::Invoke { op_id, .. } => {
                let call = Call {
                    invoked_us: e.at_us,
                    last_failed: false,
                };
                calls.insert(*op_id, call);
            }
            EventKind::Attempt { op_id, .. } => {
                if let Some(call) = calls.get_mut(op_id) {
                    call.last_failed = false;
                }
            }
            EventKind::AttemptFailed { op_id, answer } => {
                // Judged by the checker's own reading of the policy, not by the client's.
                if let AttemptAnswer::Definite(_) = answer {
                    return fail(format!(
                        "{} backed off to retry call {op_id:#x} after a definite answer \
                         ({answer:?}), which ends a call",
                        e.node
                    ));
                }
                if let Some(call) = calls.get_mut(op_id) {
                    call.last_failed = true;
                }
            }
            EventKind::Fail { op_id, error, .. } => {
                let Some(call) = calls.remove(op_id) else {
                    continue;
                };
                match error {
                    CallError::Fs(e_fs) if call.last_failed => {
                        return fail(format!(
                            "{}'s call {op_id:#x} ended with {e_fs:?} after its last attempt \
                             failed retryably: a definite error comes from the attempt that \
                             heard it",
                            e.node
                        ));
                    }
                    CallError::Unavailable if !call.last_failed => {
                        return fail(format!(
                            "{}'s call {op_id:#x} ended Unavailable although its last attempt \
                             did not fail retryably",
                            e.node
                        ));
                    }
                    CallError::Unavailable if e.at_us - call.invoked_us < max_duration_us => {
                        return fail(format!(
                            "{}'s call {op_id:#x} gave up Unavailable {:.3} ms after it was \
                             invoked, before user.rpc.retry.max.duration ({} ms) was spent",
                            e.node,
                            (e.at_us - call.invoked_us) as f64 / 1000.0,
                            options.user_rpc_retry_max_duration_ms
                        ));
                    }
                    _ => {}
                }
            }
            EventKind::Ok { op_id, .. } => {
                calls.remove(op_id);
            }
            _ => {}
        }
    }
    None
}
