//! Node addresses and the RPC plumbing shared by every actor.
//!
//! Every service speaks one request enum over `madsim::net::Endpoint` RPCs; in simulation the
//! payloads are passed as values, so no serialisation cost is paid per message.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Declares a request type with its response type and a unique RPC id.
macro_rules! rpc_request {
    ($req:ty => $rsp:ty, $id:expr) => {
        impl madsim::net::rpc::Request for $req {
            type Response = $rsp;
            const ID: u64 = $id;
        }
    };
}
pub(crate) use rpc_request;

/// ZooKeeper's client port.
pub const ZOOKEEPER_PORT: u16 = 2181;
/// The UFS (HDFS namenode) port.
pub const UFS_PORT: u16 = 8020;
/// `master.rpc.port`.
pub const MASTER_PORT: u16 = 19998;
/// `worker.rpc.port`: clients write blocks to a worker here.
pub const WORKER_PORT: u16 = 29999;

/// The roles a node can have, with its index among its kind. A role serialises and hashes as
/// its node name (`master-1`), as the history names nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The ZooKeeper service.
    ZooKeeper,
    /// The shared under-filesystem (HDFS's namenode and datanodes as one service).
    Ufs,
    /// Master `i`.
    Master(usize),
    /// Worker `i`.
    Worker(usize),
    /// Client `i`.
    Client(usize),
    /// The harness itself: observes masters through their admin port.
    Harness,
}

impl std::hash::Hash for Role {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state)
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        Role::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown node `{name}`")))
    }
}

impl Role {
    /// The role of the node called `name` (`zookeeper`, `ufs`, `harness`, `master-N`,
    /// `worker-N`, `client-N`).
    pub fn parse(name: &str) -> Option<Role> {
        let indexed = |prefix: &str| -> Option<usize> { name.strip_prefix(prefix)?.parse().ok() };
        match name {
            "zookeeper" => Some(Role::ZooKeeper),
            "ufs" => Some(Role::Ufs),
            "harness" => Some(Role::Harness),
            _ => indexed("master-")
                .map(Role::Master)
                .or_else(|| indexed("worker-").map(Role::Worker))
                .or_else(|| indexed("client-").map(Role::Client)),
        }
    }

    /// The node's name, as used in the history and on the command line.
    pub fn name(self) -> String {
        match self {
            Role::ZooKeeper => "zookeeper".into(),
            Role::Ufs => "ufs".into(),
            Role::Master(i) => format!("master-{i}"),
            Role::Worker(i) => format!("worker-{i}"),
            Role::Client(i) => format!("client-{i}"),
            Role::Harness => "harness".into(),
        }
    }

    /// The node's simulated IP address.
    pub fn ip(self) -> IpAddr {
        let (net, host) = match self {
            Role::ZooKeeper => (0, 1),
            Role::Ufs => (0, 2),
            Role::Master(i) => (1, i + 1),
            Role::Worker(i) => (2, i + 1),
            Role::Client(i) => (3, i + 1),
            Role::Harness => (9, 1),
        };
        IpAddr::V4(Ipv4Addr::new(10, 0, net, host as u8))
    }

    /// The address the node serves on, if it serves.
    pub fn addr(self) -> SocketAddr {
        let port = match self {
            Role::ZooKeeper => ZOOKEEPER_PORT,
            Role::Ufs => UFS_PORT,
            Role::Worker(_) => WORKER_PORT,
            _ => MASTER_PORT,
        };
        SocketAddr::new(self.ip(), port)
    }
}

/// The master whose RPC address is `addr`.
pub fn master_of_addr(addr: SocketAddr) -> Option<usize> {
    match addr.ip() {
        IpAddr::V4(ip) if ip.octets()[2] == 1 => Some(ip.octets()[3] as usize - 1),
        _ => None,
    }
}
