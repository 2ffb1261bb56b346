//! occ: the administration console of a self-hosted file-sync server instance, as a plugin host.
//!
//! The binary is a thin `main` over the host library ([`occ_host::run`]): the process entry,
//! arguments as UTF-8, and the exit code. The library parses the console's global options,
//! finds the instance, discovers the command providers (stable-ABI plugin libraries), and runs
//! one command. It knows no domain: users, files, LDAP and the rest live in plugins.

// Not in the unit-test build, whose harness brings its own `main`.
#![cfg_attr(not(test), no_main)]

use occ_host::console::shell::Shell;

/// The process entry, called by the C runtime instead of std's `lang_start`.
///
/// std's start-up reads `/proc/self/maps` to find the main thread's stack guard, maps an
/// alternate signal stack and installs SIGSEGV/SIGBUS handlers, all to print a message on stack
/// overflow: about 0.3 ms of a 3-4 ms command here (measured on `user:list`). What of it
/// matters is done here: the standard descriptors are made valid and SIGPIPE is ignored.
/// Arguments still come from std (glibc hands them to its initializer); `process::exit` runs
/// std's clean-up (stdout is flushed). A stack overflow is still caught by the guard gap, as
/// a plain SIGSEGV.
#[cfg(not(test))]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    std::process::exit(start())
}

/// The unit-test build's `main`, which its harness replaces (it keeps the same code in use).
#[cfg(test)]
fn main() {
    std::process::exit(start())
}

/// What std's runtime would have done that matters, then the command; its exit code.
fn start() -> i32 {
    stdio_guard();
    // A closed pipe (`occ list | head`) is a write error the shell handles, not a signal.
    // SAFETY: SIG_IGN installs no handler code.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigIgn,
        )
    };
    // A panic that escaped (a host bug) ends the process as std's runtime would.
    std::panic::catch_unwind(run).unwrap_or(101)
}

/// Opens `/dev/null` on any of descriptors 0-2 that is closed (as std's start-up does), so
/// a file this process opens (config, database) never becomes its stdout or stderr.
fn stdio_guard() {
    use std::os::fd::IntoRawFd;
    for fd in 0..3 {
        if nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD) == Err(nix::errno::Errno::EBADF) {
            // The lowest free descriptor: this one. Left open for the life of the process.
            let null = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null");
            if null.map(IntoRawFd::into_raw_fd).ok() != Some(fd) {
                std::process::abort();
            }
        }
    }
}

fn run() -> i32 {
    let mut args = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(bad) => {
                let mut sh = Shell::new(0, None);
                sh.error_line(&format!("The argument {bad:?} is not valid UTF-8."));
                return 2;
            }
        }
    }
    occ_host::run(args).clamp(0, 255)
}
