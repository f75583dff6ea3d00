//! Ctrl-C and SIGTERM for long commands: the first signal asks the command to stop starting
//! work and to finish what is running (then it prints what it found, and how to resume); a second
//! signal ends the process at once, with exit code 130. Nothing inside a simulation reads this:
//! only the tools that start seeds do, between seeds.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static SIGNALS: AtomicU32 = AtomicU32::new(0);

/// The exit code of a command stopped by a signal before it found any failure.
pub const EXIT_INTERRUPTED: u8 = 130;

extern "C" fn on_signal(_signal: libc::c_int) {
    if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
        // Only async-signal-safe calls here: write(2) and _exit(2).
        let message = b"\nstopped at once (second signal)\n";
        unsafe {
            libc::write(2, message.as_ptr().cast(), message.len());
            libc::_exit(EXIT_INTERRUPTED as libc::c_int);
        }
    }
    REQUESTED.store(true, Ordering::SeqCst);
    let message = b"\nstopping: the running seeds finish first (a second signal stops at once)\n";
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
    }
}

/// Installs the handlers for SIGINT and SIGTERM (once per process; later calls do nothing new).
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a signal asked the command to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
