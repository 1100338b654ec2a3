//! Errors the engine reports to the user: one line naming the thing and the
//! problem, a stable code the TypeScript side can branch on, and, as data
//! rather than words, the setting it is about and what would work instead.
//! The controller words those in its own terms (its flags), so no message
//! here names a JavaScript field or a command-line option.

use std::fmt;
use std::io;

/// What went wrong, as a stable code (`Error.code` in JavaScript).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The plan or the options are invalid; nothing was touched.
    InvalidArgument,
    /// The named interface does not exist.
    NoSuchInterface,
    /// The interface exists but is administratively down or has no carrier.
    InterfaceDown,
    /// The process lacks the capabilities the kernel asks for.
    PermissionDenied,
    /// The kernel or the driver does not support what was asked.
    Unsupported,
    /// Another user holds the resource (queue, XDP hook).
    Busy,
    /// A named network namespace does not exist.
    NoSuchNamespace,
    /// A pinned counter does not exist at the given path.
    NotPinned,
    /// Any other failure of a kernel interface.
    Kernel,
}

impl ErrorKind {
    /// The stable code for this kind.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "ERR_XDPERF_INVALID_ARGUMENT",
            ErrorKind::NoSuchInterface => "ERR_XDPERF_NO_SUCH_INTERFACE",
            ErrorKind::InterfaceDown => "ERR_XDPERF_INTERFACE_DOWN",
            ErrorKind::PermissionDenied => "ERR_XDPERF_PERMISSION_DENIED",
            ErrorKind::Unsupported => "ERR_XDPERF_UNSUPPORTED",
            ErrorKind::Busy => "ERR_XDPERF_BUSY",
            ErrorKind::NoSuchNamespace => "ERR_XDPERF_NO_SUCH_NAMESPACE",
            ErrorKind::NotPinned => "ERR_XDPERF_NOT_PINNED",
            ErrorKind::Kernel => "ERR_XDPERF_KERNEL",
        }
    }
}

/// A setting of the transmit plan an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Engine,
    XdpMode,
    XdpBatchSize,
    Batch,
    Cpus,
    Count,
    Duration,
    Pps,
    Bps,
}

impl Setting {
    /// The stable name the controller maps to its own wording.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Engine => "engine",
            Setting::XdpMode => "xdpMode",
            Setting::XdpBatchSize => "xdpBatchSize",
            Setting::Batch => "batch",
            Setting::Cpus => "cpus",
            Setting::Count => "count",
            Setting::Duration => "duration",
            Setting::Pps => "pps",
            Setting::Bps => "bps",
        }
    }
}

/// Values of a setting that would work where the asked one does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instead {
    pub setting: Setting,
    pub values: Vec<&'static str>,
}

/// A user-facing engine error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    /// The problem, one line. When `setting` is given, the controller puts
    /// the setting (and the value) before it.
    pub message: String,
    pub setting: Option<Setting>,
    pub instead: Option<Instead>,
    pub errno: Option<i32>,
}

pub type Result<T> = std::result::Result<T, Error>;

/// What sockets (AF_XDP, AF_PACKET) and attaching XDP need.
const SOCKET_CAPABILITIES: &str = "CAP_NET_ADMIN and CAP_NET_RAW";
/// What loading a BPF program or creating its maps needs.
pub const BPF_CAPABILITIES: &str = "CAP_BPF and CAP_PERFMON";
/// What entering another network namespace needs.
pub const NETNS_CAPABILITIES: &str = "CAP_SYS_ADMIN";

fn permission_denied(capabilities: &str) -> String {
    format!("permission denied (needs {capabilities}, or root)")
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            setting: None,
            instead: None,
            errno: None,
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An invalid value of `setting`: `problem` says what is wrong with it
    /// (e.g. "257 out of range (1..256)").
    pub fn invalid_setting(setting: Setting, problem: impl Into<String>) -> Self {
        Error {
            setting: Some(setting),
            ..Error::invalid(problem)
        }
    }

    /// Says which values of `setting` would work instead.
    pub fn instead(mut self, setting: Setting, values: &[&'static str]) -> Self {
        self.instead = Some(Instead {
            setting,
            values: values.to_vec(),
        });
        self
    }

    /// An errno from a kernel call on `subject` (e.g. "AF_XDP socket on
    /// xdperf0 queue 0"), classified and described for a user.
    pub fn from_errno(subject: &str, errno: i32) -> Self {
        let (kind, problem) = match errno {
            libc::EPERM | libc::EACCES => (
                ErrorKind::PermissionDenied,
                permission_denied(SOCKET_CAPABILITIES),
            ),
            libc::ENODEV | libc::ENXIO => (ErrorKind::NoSuchInterface, "no such interface".into()),
            libc::ENETDOWN => (ErrorKind::InterfaceDown, "interface is down".into()),
            libc::EBUSY => (
                ErrorKind::Busy,
                "busy (already in use by another program)".into(),
            ),
            libc::EOPNOTSUPP | libc::EAFNOSUPPORT | libc::EPROTONOSUPPORT => (
                ErrorKind::Unsupported,
                format!("not supported ({})", describe_errno(errno)),
            ),
            libc::ENOMEM => (
                ErrorKind::Kernel,
                "out of memory (check RLIMIT_MEMLOCK / ulimit -l)".into(),
            ),
            _ => (ErrorKind::Kernel, describe_errno(errno)),
        };
        Error {
            errno: Some(errno),
            ..Error::new(kind, format!("{subject}: {problem}"))
        }
    }

    /// Names `capabilities` as what a permission error needs, where the
    /// operation needs others than the sockets' (a BPF load, setns).
    pub fn needing(mut self, capabilities: &str) -> Self {
        if self.kind == ErrorKind::PermissionDenied {
            self.message = self.message.replace(
                &permission_denied(SOCKET_CAPABILITIES),
                &permission_denied(capabilities),
            );
        }
        self
    }

    /// One line for a library error (aya's): the errno found in its source
    /// chain decides the wording, else the error's first line.
    pub fn from_source_chain(subject: &str, err: &(dyn std::error::Error + 'static)) -> Self {
        if let Some(errno) = errno_in(err) {
            return Error::from_errno(subject, errno);
        }
        let text = err.to_string();
        let first_line = text.lines().next().unwrap_or_default();
        Error::new(ErrorKind::Kernel, format!("{subject}: {first_line}"))
    }
}

/// The errno of the first `io::Error` in `err`'s source chain.
pub fn errno_in(err: &(dyn std::error::Error + 'static)) -> Option<i32> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(errno) = current
            .downcast_ref::<io::Error>()
            .and_then(io::Error::raw_os_error)
        {
            return Some(errno);
        }
        source = current.source();
    }
    None
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// "no such device (errno 19)": the C library's text, lower-cased, with the
/// number for searching.
pub fn describe_errno(errno: i32) -> String {
    let text = io::Error::from_raw_os_error(errno).to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let mut chars = text.chars();
    let lowered = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect::<String>(),
        None => text,
    };
    format!("{lowered} (errno {errno})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bpf_load_or_setns_names_its_own_capabilities() {
        let load = Error::from_errno("XDP counter: load", libc::EPERM).needing(BPF_CAPABILITIES);
        assert_eq!(
            load.message,
            "XDP counter: load: permission denied (needs CAP_BPF and CAP_PERFMON, or root)"
        );
        let other = Error::from_errno("XDP counter: load", libc::EINVAL).needing(BPF_CAPABILITIES);
        assert_eq!(
            other.message,
            "XDP counter: load: invalid argument (errno 22)"
        );
    }

    #[test]
    fn permission_error_names_the_capabilities() {
        let err = Error::from_errno("AF_XDP socket on xdperf0 queue 0", libc::EPERM);
        assert_eq!(err.kind, ErrorKind::PermissionDenied);
        assert_eq!(
            err.message,
            "AF_XDP socket on xdperf0 queue 0: permission denied (needs CAP_NET_ADMIN and CAP_NET_RAW, or root)"
        );
    }

    #[test]
    fn other_errnos_keep_the_number() {
        let err = Error::from_errno("x", libc::EINVAL);
        assert_eq!(err.kind, ErrorKind::Kernel);
        assert_eq!(err.message, "x: invalid argument (errno 22)");
    }
}
