//! Running a piece of work inside a named network namespace
//! (/var/run/netns/NAME, as `ip netns add` makes them).
//!
//! setns(CLONE_NEWNET) changes only the calling thread, so the work runs on
//! a short-lived thread of its own and the caller's namespace never changes.

use std::fs::File;
use std::os::fd::AsRawFd;

use crate::error::{Error, ErrorKind, Result, NETNS_CAPABILITIES};

const NETNS_DIR: &str = "/var/run/netns";

/// Runs `work` in namespace `name`, or on the calling thread when `name` is None.
pub fn run_in<T: Send + 'static>(
    name: Option<&str>,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let Some(name) = name else {
        return work();
    };
    let namespace = open(name)?;
    let name = name.to_string();
    std::thread::Builder::new()
        .name("xdperf-netns".into())
        .spawn(move || {
            enter(&name, &namespace)?;
            work()
        })
        .map_err(|err| {
            Error::new(
                ErrorKind::Kernel,
                format!("network namespace: cannot start a thread: {err}"),
            )
        })?
        .join()
        .unwrap_or_else(|_| {
            Err(Error::new(
                ErrorKind::Kernel,
                "network namespace: the worker thread panicked",
            ))
        })
}

fn open(name: &str) -> Result<File> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::invalid(format!(
            "network namespace {name:?}: not a valid name"
        )));
    }
    let path = format!("{NETNS_DIR}/{name}");
    File::open(&path).map_err(|err| match err.raw_os_error() {
        Some(libc::ENOENT) => Error::new(
            ErrorKind::NoSuchNamespace,
            format!("network namespace {name}: no such namespace ({path})"),
        ),
        Some(errno) => Error::from_errno(&format!("network namespace {name}"), errno)
            .needing(NETNS_CAPABILITIES),
        None => Error::new(
            ErrorKind::Kernel,
            format!("network namespace {name}: {err}"),
        ),
    })
}

fn enter(name: &str, namespace: &File) -> Result<()> {
    // SAFETY: setns on an open namespace file descriptor; it changes only
    // the calling thread, which exists just for this work.
    let rc = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc < 0 {
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        return Err(
            Error::from_errno(&format!("network namespace {name}"), errno)
                .needing(NETNS_CAPABILITIES),
        );
    }
    Ok(())
}
