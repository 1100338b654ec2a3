//! The other end of a veth pair, found from this end: its ifindex (IFLA_LINK)
//! and namespace (IFLA_LINK_NETNSID, named by matching the files under
//! /var/run/netns), and whether it has an XDP program. A veth drops every
//! frame redirected to it (XDP_REDIRECT, live frames) unless its peer has an
//! XDP program or GRO on, so the xdp engine and the prober ask.

use std::fs::{self, File};
use std::os::fd::AsRawFd;

use crate::kernel::netlink::{self, LinkFacts, XdpAttachment};

const NETNS_DIR: &str = "/var/run/netns";

/// A veth's peer as seen from the veth's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VethPeer {
    pub ifindex: u32,
    /// The id this namespace gives the peer's; None when they share one.
    pub netnsid: Option<i32>,
    /// The /var/run/netns name of the peer's namespace, when it has one.
    pub netns: Option<String>,
    /// The peer's link facts, or the errno of asking for them.
    pub facts: Result<LinkFacts, i32>,
}

impl VethPeer {
    /// "xdperf51 (netns xdperf-lab5)", or what is known of it.
    pub fn describe(&self) -> String {
        let name = match &self.facts {
            Ok(facts) => facts.name.clone(),
            Err(_) => format!("ifindex {}", self.ifindex),
        };
        match (&self.netns, self.netnsid) {
            (Some(netns), _) => format!("{name} (netns {netns})"),
            (None, Some(id)) => format!("{name} (netns id {id})"),
            (None, None) => name,
        }
    }

    /// Whether the peer has an XDP program; None when it could not be asked.
    pub fn has_xdp_program(&self) -> Option<bool> {
        self.facts
            .as_ref()
            .ok()
            .map(|facts| facts.xdp != XdpAttachment::None)
    }
}

/// The peer of the interface described by `facts`, if it is a veth.
pub fn peer_of(facts: &LinkFacts) -> Option<VethPeer> {
    if facts.kind.as_deref() != Some("veth") {
        return None;
    }
    let ifindex = facts.link?;
    Some(VethPeer {
        ifindex,
        netnsid: facts.link_netnsid,
        netns: facts.link_netnsid.and_then(netns_named_by_id),
        facts: netlink::link_facts(ifindex, facts.link_netnsid),
    })
}

/// The name under /var/run/netns of the namespace this one calls `id`.
fn netns_named_by_id(id: i32) -> Option<String> {
    fs::read_dir(NETNS_DIR)
        .ok()?
        .filter_map(|entry| entry.ok())
        .find_map(|entry| {
            let file = File::open(entry.path()).ok()?;
            let found = netlink::netns_id(file.as_raw_fd()).ok()??;
            (found == id).then(|| entry.file_name().to_string_lossy().into_owned())
        })
}
