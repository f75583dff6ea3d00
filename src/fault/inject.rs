//! What a fault kind applies itself through: the nemesis's levers on the simulated cluster.
//!
//! Faults that overlap compose here, not in the kinds: a link cut twice is reconnected when both
//! cuts heal, message loss and latency in force are the worst of the active faults, a storage
//! fault switched on twice is off again only when both are undone.

use crate::net::Role;

/// The levers a fault pulls. Each lever that turns something on has its inverse beside it.
pub trait Injector {
    /// Every node a fault can touch (all but the harness, which only observes).
    fn nodes(&self) -> Vec<Role>;
    /// Whether `role` is running (neither crashed nor paused by a fault).
    fn is_up(&self, role: Role) -> bool;
    /// Kills a node's process (unflushed state is lost); undone by [`Injector::restart`].
    fn crash(&mut self, role: Role);
    /// Starts a crashed node again, as a new process.
    fn restart(&mut self, role: Role);
    /// Freezes a node; undone by [`Injector::resume`].
    fn pause(&mut self, role: Role);
    /// Lets a paused node run again.
    fn resume(&mut self, role: Role);
    /// Drops every message on each link `(from, to)`; undone by [`Injector::reconnect`].
    fn cut(&mut self, links: &[(Role, Role)]);
    /// Undoes one [`Injector::cut`] of each link.
    fn reconnect(&mut self, links: &[(Role, Role)]);
    /// Drops `percent` of every message; undone by [`Injector::remove_loss`].
    fn add_loss(&mut self, percent: u32);
    /// Undoes one [`Injector::add_loss`].
    fn remove_loss(&mut self, percent: u32);
    /// Delays every message by `min_ms..max_ms`; undone by [`Injector::remove_latency`].
    fn add_latency(&mut self, min_ms: u64, max_ms: u64);
    /// Undoes one [`Injector::add_latency`].
    fn remove_latency(&mut self, min_ms: u64, max_ms: u64);
    /// ZooKeeper expires every session `node` holds, at once (nothing to undo).
    fn expire_sessions(&mut self, node: Role);
    /// ZooKeeper stops answering and its session clocks stop (`true`), or answers again and
    /// restarts every session's timer once no such fault is in force (`false`).
    fn zookeeper_unavailable(&mut self, on: bool);
    /// The UFS fails `node`'s flushes (`true`), or stops once no such fault is in force.
    fn flush_fail(&mut self, node: Role, on: bool);
    /// The UFS delays `node`'s flushes by `delay_ms` (`true`), or undoes that delay; the worst
    /// delay in force applies.
    fn flush_delay(&mut self, node: Role, delay_ms: u64, on: bool);
    /// The UFS fails renames (`true`), or stops once no such fault is in force.
    fn rename_fail(&mut self, on: bool);
}

/// How to undo an applied fault.
pub type Undo = Box<dyn FnOnce(&mut dyn Injector)>;

/// A fault as applied.
pub enum Applied {
    /// In force until undone.
    Until(Undo),
    /// Over at once: nothing to undo.
    Instant,
}

impl Applied {
    /// In force until `undo` runs.
    pub fn until(undo: impl FnOnce(&mut dyn Injector) + 'static) -> Option<Applied> {
        Some(Applied::Until(Box::new(undo)))
    }
}

/// Both directions of every link between `a` and each of `others`.
pub fn both_ways(a: Role, others: &[Role]) -> Vec<(Role, Role)> {
    others.iter().flat_map(|&b| [(a, b), (b, a)]).collect()
}

/// Cuts `links` until undone (none: the fault cannot apply).
pub fn cut_until_healed(injector: &mut dyn Injector, links: Vec<(Role, Role)>) -> Option<Applied> {
    if links.is_empty() {
        return None;
    }
    injector.cut(&links);
    Applied::until(move |i| i.reconnect(&links))
}
