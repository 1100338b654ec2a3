//! The few netlink questions xdperf asks: an interface's XDP attachment,
//! link kind and peer (rtnetlink RTM_GETLINK, also for a link in another
//! namespace through IFLA_TARGET_NETNSID), the id the calling namespace gives
//! another namespace (RTM_GETNSID), and an interface's XDP features (the
//! generic-netlink "netdev" family, Linux ≥ 6.3). One request, one answer,
//! on a socket opened per question in the calling thread's namespace.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// <linux/rtnetlink.h>, <linux/if_link.h>, <linux/net_namespace.h>,
/// <linux/genetlink.h>, <linux/netdev.h>.
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
const IFLA_IFNAME: u16 = 3;
const IFLA_LINK: u16 = 5;
const IFLA_LINKINFO: u16 = 18;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_EXT_MASK: u16 = 29;
const IFLA_LINK_NETNSID: u16 = 37;
const IFLA_XDP: u16 = 43;
const IFLA_TARGET_NETNSID: u16 = 46;
const IFLA_XDP_ATTACHED: u16 = 2;
const IFLA_XDP_PROG_ID: u16 = 4;
const RTEXT_FILTER_SKIP_STATS: u32 = 1 << 3;
const XDP_ATTACHED_DRV: u8 = 1;
const XDP_ATTACHED_SKB: u8 = 2;
const XDP_ATTACHED_HW: u8 = 3;
const XDP_ATTACHED_MULTI: u8 = 4;
const NETNSA_NSID: u16 = 1;
const NETNSA_FD: u16 = 3;
const GENL_ID_CTRL: u16 = 16;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const NETDEV_FAMILY: &str = "netdev";
const NETDEV_CMD_DEV_GET: u8 = 1;
const NETDEV_A_DEV_IFINDEX: u16 = 1;
const NETDEV_A_DEV_XDP_FEATURES: u16 = 3;
/// NETDEV_XDP_ACT_NDO_XMIT: the device takes redirected XDP frames.
pub const XDP_FEATURE_NDO_XMIT: u64 = 1 << 2;

const NLMSG_HEADER_LEN: usize = 16;
const NLA_HEADER_LEN: usize = 4;
const NLA_TYPE_MASK: u16 = 0x3fff;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
/// Answers to single-object requests are far smaller (statistics are skipped).
const RECEIVE_BUFFER: usize = 64 * 1024;

/// An errno from a netlink request.
pub type Errno = i32;

/// What the kernel reports of an interface's XDP hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XdpAttachment {
    None,
    Driver(u32),
    Generic(u32),
    Offloaded(u32),
    /// Programs in more than one mode at once.
    Several,
}

impl XdpAttachment {
    /// "id 332 in driver mode", or None when no program is attached.
    pub fn describe(self) -> Option<String> {
        match self {
            XdpAttachment::None => None,
            XdpAttachment::Driver(id) => Some(format!("id {id} in driver mode")),
            XdpAttachment::Generic(id) => Some(format!("id {id} in generic mode")),
            XdpAttachment::Offloaded(id) => Some(format!("id {id} offloaded")),
            XdpAttachment::Several => Some("several, in more than one mode".into()),
        }
    }
}

/// The RTM_GETLINK facts xdperf uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFacts {
    pub name: String,
    /// IFLA_INFO_KIND, e.g. "veth"; None for devices without rtnl link ops.
    pub kind: Option<String>,
    /// IFLA_LINK: for a veth, the peer's ifindex (in the peer's namespace).
    pub link: Option<u32>,
    /// IFLA_LINK_NETNSID: the id of the namespace `link` lives in, when it
    /// is not the caller's.
    pub link_netnsid: Option<i32>,
    pub xdp: XdpAttachment,
}

/// Describes interface `ifindex`, in the caller's namespace or, with
/// `netnsid`, in the namespace the caller knows by that id.
pub fn link_facts(ifindex: u32, netnsid: Option<i32>) -> Result<LinkFacts, Errno> {
    let mut request = Message::new(RTM_GETLINK);
    // struct ifinfomsg: family, pad, type, index, flags, change.
    request.put(&[0u8; 4]);
    request.put(&(ifindex as i32).to_ne_bytes());
    request.put(&[0u8; 8]);
    request.attribute(IFLA_EXT_MASK, &RTEXT_FILTER_SKIP_STATS.to_ne_bytes());
    if let Some(id) = netnsid {
        request.attribute(IFLA_TARGET_NETNSID, &id.to_ne_bytes());
    }
    let answer = Socket::open(libc::NETLINK_ROUTE)?.ask(request, RTM_NEWLINK)?;
    parse_link(&answer).ok_or(libc::EPROTO)
}

/// The id the caller's namespace gives the namespace open at `namespace`
/// (a /var/run/netns file); None when it has given it none.
pub fn netns_id(namespace: RawFd) -> Result<Option<i32>, Errno> {
    let mut request = Message::new(RTM_GETNSID);
    // struct rtgenmsg, padded to 4 bytes.
    request.put(&[0u8; 4]);
    request.attribute(NETNSA_FD, &(namespace as u32).to_ne_bytes());
    let answer = Socket::open(libc::NETLINK_ROUTE)?.ask(request, RTM_NEWNSID)?;
    let id = attributes(answer.get(4..).unwrap_or_default())
        .find(|(kind, _)| *kind == NETNSA_NSID)
        .and_then(|(_, value)| read_i32(value))
        .ok_or(libc::EPROTO)?;
    Ok((id >= 0).then_some(id))
}

/// The NETDEV_XDP_ACT_* bits of interface `ifindex`; None on kernels
/// without the netdev family (before 6.3).
pub fn xdp_features(ifindex: u32) -> Result<Option<u64>, Errno> {
    let mut socket = Socket::open(libc::NETLINK_GENERIC)?;
    let Some(family) = genl_family_id(&mut socket, NETDEV_FAMILY)? else {
        return Ok(None);
    };
    let mut request = Message::new(family);
    request.put(&[NETDEV_CMD_DEV_GET, 1, 0, 0]);
    request.attribute(NETDEV_A_DEV_IFINDEX, &ifindex.to_ne_bytes());
    let answer = socket.ask(request, family)?;
    let features = attributes(answer.get(4..).unwrap_or_default())
        .find(|(kind, _)| *kind == NETDEV_A_DEV_XDP_FEATURES)
        .and_then(|(_, value)| value.try_into().ok().map(u64::from_ne_bytes))
        .ok_or(libc::EPROTO)?;
    Ok(Some(features))
}

fn genl_family_id(socket: &mut Socket, name: &str) -> Result<Option<u16>, Errno> {
    let mut request = Message::new(GENL_ID_CTRL);
    request.put(&[CTRL_CMD_GETFAMILY, 1, 0, 0]);
    let mut name = name.as_bytes().to_vec();
    name.push(0);
    request.attribute(CTRL_ATTR_FAMILY_NAME, &name);
    let answer = match socket.ask(request, GENL_ID_CTRL) {
        Ok(answer) => answer,
        Err(libc::ENOENT) => return Ok(None),
        Err(errno) => return Err(errno),
    };
    let id = attributes(answer.get(4..).unwrap_or_default())
        .find(|(kind, _)| *kind == CTRL_ATTR_FAMILY_ID)
        .and_then(|(_, value)| value.try_into().ok().map(u16::from_ne_bytes))
        .ok_or(libc::EPROTO)?;
    Ok(Some(id))
}

fn parse_link(payload: &[u8]) -> Option<LinkFacts> {
    // After struct ifinfomsg (16 bytes).
    let mut facts = LinkFacts {
        name: String::new(),
        kind: None,
        link: None,
        link_netnsid: None,
        xdp: XdpAttachment::None,
    };
    for (kind, value) in attributes(payload.get(16..)?) {
        match kind {
            IFLA_IFNAME => facts.name = c_string(value),
            IFLA_LINK => facts.link = read_u32(value),
            IFLA_LINK_NETNSID => facts.link_netnsid = read_i32(value),
            IFLA_LINKINFO => {
                facts.kind = attributes(value)
                    .find(|(kind, _)| *kind == IFLA_INFO_KIND)
                    .map(|(_, value)| c_string(value));
            }
            IFLA_XDP => facts.xdp = parse_xdp(value),
            _ => {}
        }
    }
    Some(facts)
}

fn parse_xdp(nested: &[u8]) -> XdpAttachment {
    let mut attached = 0u8;
    let mut program = 0u32;
    for (kind, value) in attributes(nested) {
        match kind {
            IFLA_XDP_ATTACHED => attached = value.first().copied().unwrap_or(0),
            IFLA_XDP_PROG_ID => program = read_u32(value).unwrap_or(0),
            _ => {}
        }
    }
    match attached {
        XDP_ATTACHED_DRV => XdpAttachment::Driver(program),
        XDP_ATTACHED_SKB => XdpAttachment::Generic(program),
        XDP_ATTACHED_HW => XdpAttachment::Offloaded(program),
        XDP_ATTACHED_MULTI => XdpAttachment::Several,
        _ => XdpAttachment::None,
    }
}

/// (type, value) of each attribute in `buffer`.
fn attributes(buffer: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = buffer;
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_ne_bytes(rest.get(0..2)?.try_into().ok()?));
        let kind = u16::from_ne_bytes(rest.get(2..4)?.try_into().ok()?) & NLA_TYPE_MASK;
        let value = rest.get(NLA_HEADER_LEN..len)?;
        rest = rest.get(align4(len)..).unwrap_or_default();
        Some((kind, value))
    })
}

fn read_u32(value: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(value.get(..4)?.try_into().ok()?))
}

fn read_i32(value: &[u8]) -> Option<i32> {
    Some(i32::from_ne_bytes(value.get(..4)?.try_into().ok()?))
}

fn c_string(value: &[u8]) -> String {
    let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
    String::from_utf8_lossy(&value[..end]).into_owned()
}

fn align4(len: usize) -> usize {
    (len + 3) & !3
}

/// A request being built: header, then payload and attributes.
struct Message {
    bytes: Vec<u8>,
}

impl Message {
    fn new(kind: u16) -> Message {
        let mut bytes = vec![0u8; NLMSG_HEADER_LEN];
        bytes[4..6].copy_from_slice(&kind.to_ne_bytes());
        bytes[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        Message { bytes }
    }

    fn put(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    fn attribute(&mut self, kind: u16, value: &[u8]) {
        let len = (NLA_HEADER_LEN + value.len()) as u16;
        self.put(&len.to_ne_bytes());
        self.put(&kind.to_ne_bytes());
        self.put(value);
        self.bytes.resize(align4(self.bytes.len()), 0);
    }

    fn finish(mut self, sequence: u32) -> Vec<u8> {
        let len = self.bytes.len() as u32;
        self.bytes[0..4].copy_from_slice(&len.to_ne_bytes());
        self.bytes[8..12].copy_from_slice(&sequence.to_ne_bytes());
        self.bytes
    }
}

struct Socket {
    fd: OwnedFd,
}

impl Socket {
    fn open(protocol: libc::c_int) -> Result<Socket, Errno> {
        // SAFETY: plain socket(2); the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                protocol,
            )
        };
        if fd < 0 {
            return Err(last_errno());
        }
        // SAFETY: `fd` is a fresh descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // A kernel that never answers must not hang the caller.
        let timeout = libc::timeval {
            tv_sec: 2,
            tv_usec: 0,
        };
        // SAFETY: SO_RCVTIMEO reads one timeval from `timeout`, whose size we pass.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(Socket { fd })
    }

    /// Sends `request` and returns the payload of the answer of type
    /// `answer_kind` (an error answer becomes its errno).
    fn ask(&mut self, request: Message, answer_kind: u16) -> Result<Vec<u8>, Errno> {
        const SEQUENCE: u32 = 1;
        let bytes = request.finish(SEQUENCE);
        // SAFETY: sockaddr_nl is plain old data; all-zero addresses the kernel.
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: sends `bytes` (valid for its length) to the address we
        // pass with its size.
        let sent = unsafe {
            libc::sendto(
                self.fd.as_raw_fd(),
                bytes.as_ptr().cast(),
                bytes.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(last_errno());
        }
        let mut buffer = vec![0u8; RECEIVE_BUFFER];
        loop {
            // SAFETY: receives into `buffer`, valid for its length.
            let received = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                    0,
                )
            };
            if received < 0 {
                let errno = last_errno();
                if errno == libc::EINTR {
                    continue;
                }
                return Err(errno);
            }
            let datagram = &buffer[..received as usize];
            if let Some(answer) = find_answer(datagram, SEQUENCE, answer_kind)? {
                return Ok(answer);
            }
        }
    }
}

/// The payload of the message answering `sequence` in `datagram`, if any.
fn find_answer(datagram: &[u8], sequence: u32, kind: u16) -> Result<Option<Vec<u8>>, Errno> {
    let mut rest = datagram;
    while rest.len() >= NLMSG_HEADER_LEN {
        let len = u32::from_ne_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
        let message_kind = u16::from_ne_bytes(rest[4..6].try_into().expect("2 bytes"));
        let message_sequence = u32::from_ne_bytes(rest[8..12].try_into().expect("4 bytes"));
        if len < NLMSG_HEADER_LEN || len > rest.len() {
            return Err(libc::EPROTO);
        }
        let payload = &rest[NLMSG_HEADER_LEN..len];
        if message_sequence == sequence {
            if message_kind == NLMSG_ERROR {
                let error = read_i32(payload).ok_or(libc::EPROTO)?;
                return Err(if error < 0 { -error } else { libc::EPROTO });
            }
            if message_kind == kind {
                return Ok(Some(payload.to_vec()));
            }
        }
        rest = rest.get(align4(len)..).unwrap_or_default();
    }
    Ok(None)
}

impl AsRawFd for Socket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn last_errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attribute(kind: u16, value: &[u8]) -> Vec<u8> {
        let mut message = Message { bytes: Vec::new() };
        message.attribute(kind, value);
        message.bytes
    }

    #[test]
    fn attributes_are_padded_and_read_back() {
        let mut buffer = attribute(IFLA_IFNAME, b"xdperf50\0");
        assert_eq!(buffer.len(), 16);
        buffer.extend(attribute(IFLA_LINK, &7u32.to_ne_bytes()));
        let read: Vec<(u16, Vec<u8>)> = attributes(&buffer)
            .map(|(kind, value)| (kind, value.to_vec()))
            .collect();
        assert_eq!(read.len(), 2);
        assert_eq!(c_string(&read[0].1), "xdperf50");
        assert_eq!(read_u32(&read[1].1), Some(7));
    }

    #[test]
    fn a_link_answer_is_parsed() {
        let mut payload = vec![0u8; 16];
        payload.extend(attribute(IFLA_IFNAME, b"xdperf50\0"));
        payload.extend(attribute(IFLA_LINK, &2u32.to_ne_bytes()));
        payload.extend(attribute(IFLA_LINK_NETNSID, &0i32.to_ne_bytes()));
        payload.extend(attribute(
            IFLA_LINKINFO,
            &attribute(IFLA_INFO_KIND, b"veth\0"),
        ));
        let mut xdp = attribute(IFLA_XDP_ATTACHED, &[XDP_ATTACHED_DRV]);
        xdp.extend(attribute(IFLA_XDP_PROG_ID, &332u32.to_ne_bytes()));
        payload.extend(attribute(IFLA_XDP | 0x8000, &xdp));
        let facts = parse_link(&payload).unwrap();
        assert_eq!(
            facts,
            LinkFacts {
                name: "xdperf50".into(),
                kind: Some("veth".into()),
                link: Some(2),
                link_netnsid: Some(0),
                xdp: XdpAttachment::Driver(332),
            }
        );
    }

    #[test]
    fn an_error_answer_gives_its_errno() {
        let mut message = Message::new(NLMSG_ERROR);
        message.put(&(-libc::ENODEV).to_ne_bytes());
        message.put(&[0u8; 16]);
        let datagram = message.finish(1);
        assert_eq!(find_answer(&datagram, 1, RTM_NEWLINK), Err(libc::ENODEV));
        let other = Message::new(RTM_NEWLINK).finish(9);
        assert_eq!(find_answer(&other, 1, RTM_NEWLINK), Ok(None));
    }

    #[test]
    fn loopback_is_described() {
        let facts = link_facts(1, None).expect("lo is ifindex 1 in every namespace");
        assert_eq!(facts.name, "lo");
        assert_eq!(facts.link_netnsid, None);
    }
}
