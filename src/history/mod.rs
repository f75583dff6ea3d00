//! The event log that checkers read.
//!
//! Every actor records what it does at its boundary, stamped with simulated time. Checkers are
//! pure functions of this log; they never look inside a node. The hash of the log is the run's
//! fingerprint: the same seed and options must give the same hash, event for event.

mod log;
mod text;

pub use log::{history_hash, now_us, Event, History};
pub use text::parse_events;

use crate::fault::FaultKind;
use crate::net::Role;
use crate::op::{AttemptAnswer, BlockId, BlockInfo, CallError, FsOp, FsReply};
use crate::vocab::{ConnState, RepeatKey, StepDownReason};
use serde::{Deserialize, Serialize};

/// One thing that happened.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum EventKind {
    // ---- clients ----
    /// A client call starts. `op_id` is unique per call and travels with every attempt.
    Invoke {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
        /// The operation called.
        op: FsOp,
    },
    /// One attempt of a call, sent to `master` (none when the leader lookup failed) after a
    /// leader lookup that asked ZooKeeper `lookups` times.
    Attempt {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
        /// The attempt's number within its call, from 1.
        attempt: u32,
        /// The master it was sent to (none: the leader lookup found none).
        master: Option<String>,
        /// How many times the leader lookup asked ZooKeeper.
        lookups: u32,
    },
    /// The attempt got an answer the call does not end with, as the client heard it (no
    /// primary found, no answer in time, Unavailable): the client backs off, or ends the call
    /// past `user.rpc.retry.max.duration`.
    AttemptFailed {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
        /// What the attempt heard.
        answer: AttemptAnswer,
    },
    /// A leader lookup found several leader znodes (a deposed leader's not yet gone) and chose
    /// one: what the client read of the leader path, and its choice.
    LeaderChoice {
        /// Each child's name (the master's address) and creation time, as the client read them.
        candidates: Vec<(String, u64)>,
        /// The child chosen.
        chose: String,
    },
    /// The backoff after a failed attempt is over: the next attempt's leader lookup begins.
    Retrying {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
    },
    /// The call succeeded; `by` answered it.
    Ok {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
        /// The master that answered.
        by: String,
        /// What the call returned.
        reply: FsReply,
    },
    /// The call ended with an error.
    Fail {
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
        /// Why it failed.
        error: CallError,
        /// The master that answered.
        by: Option<String>,
    },

    // ---- masters ----
    /// The leader selector made this master leader; promotion starts.
    Promoting {
        /// The term of leadership.
        term: u64,
    },
    /// Promotion finished: the master serves as primary from now on.
    BecamePrimary {
        /// The term of leadership.
        term: u64,
        /// The sequence number its first entry gets.
        next_seq: u64,
    },
    /// Promotion was abandoned because leadership changed meanwhile.
    PromotionAborted {
        /// The term of leadership.
        term: u64,
    },
    /// Promotion failed (the journal could not be read or fenced); the master stays a standby
    /// and joins the election again.
    PromotionFailed {
        /// The term of leadership.
        term: u64,
        /// What failed.
        reason: String,
    },
    /// The master stopped acting as primary.
    SteppedDown {
        /// The term of leadership.
        term: u64,
        /// What ended its primacy.
        reason: StepDownReason,
    },
    /// The standby declared itself caught up (once per standby stint): a catch-up pass that began
    /// at `began_us` with its replica at `from_seq` applied nothing, ending at `to_seq`.
    CaughtUp {
        /// When the pass began (simulated microseconds).
        began_us: u64,
        /// Where the replica stood before the pass.
        from_seq: u64,
        /// Where it stood after.
        to_seq: u64,
    },
    /// The master is about to join the election (create its candidate znode).
    JoiningElection,
    /// The master withdrew its election candidacy, made in ZooKeeper session `session`, to join
    /// again: its session ended (LOST, a new session, the candidate znode gone).
    CandidacyWithdrawn {
        /// The ZooKeeper session id.
        session: u64,
    },
    /// A standby's catch-up pass moved its replica from `from_seq` to `to_seq`; `finished` is
    /// false when the pass failed part-way (a UFS call failed after it had applied some logs).
    StandbyReplayed {
        /// Where the replica stood before the pass.
        from_seq: u64,
        /// Where it stood after.
        to_seq: u64,
        /// Whether the pass ran to the end.
        finished: bool,
        /// The entries it applied, as sequence ranges `from..to` in the order it applied them
        /// (a checkpoint it loaded is recorded apart, as `CheckpointLoaded`).
        applied: Vec<(u64, u64)>,
    },
    /// An entry was appended to the writer's buffer (not yet durable).
    JournalAppend {
        /// The term of leadership.
        term: u64,
        /// The entry's sequence number.
        seq: u64,
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
    },
    /// A flush of entries `from..to` finished; `ok` is whether they are durable.
    JournalFlush {
        /// The term of leadership.
        term: u64,
        /// The first entry flushed.
        from: u64,
        /// One past the last entry flushed.
        to: u64,
        /// Whether the entries are durable.
        ok: bool,
    },
    /// The client was told "ok" for this entry.
    JournalAck {
        /// The term of leadership.
        term: u64,
        /// The entry's sequence number.
        seq: u64,
        /// The call's operation id (unique per call, the same on every attempt).
        op_id: u64,
    },
    /// The old writer found its log taken over (lease recovered): it is fenced.
    Fenced {
        /// The term of leadership.
        term: u64,
    },
    /// The writer started a new in-progress log at `start`.
    LogCreated {
        /// The log's first sequence number.
        start: u64,
    },
    /// The writer completed its log: renamed it to its final range `start..end` (deleted it
    /// when empty).
    LogCompleted {
        /// The log's first sequence number.
        start: u64,
        /// One past its last.
        end: u64,
    },
    /// A standby found a missing journal entry.
    JournalGap {
        /// The sequence number the standby needed next.
        expected: u64,
        /// The one it found instead.
        found: u64,
    },
    /// A standby set out to write a checkpoint covering entries below `seq` (it may fail, or find
    /// another master's already there).
    CheckpointStarted {
        /// The entry's sequence number.
        seq: u64,
    },
    /// A checkpoint covering entries below `seq` was written.
    CheckpointWritten {
        /// The entry's sequence number.
        seq: u64,
    },
    /// A master loaded a checkpoint covering entries below `seq`.
    CheckpointLoaded {
        /// The entry's sequence number.
        seq: u64,
    },
    /// Journal GC is about to delete these logs (their ranges) and checkpoints (the seq each
    /// covers entries below); `covered`: the newest checkpoint it found covers the entries below
    /// this seq; `started_us`: when the pass began (a pass records its checkpoints and its logs
    /// apart, each only if there are any).
    JournalGc {
        /// When the pass began (simulated microseconds).
        started_us: u64,
        /// The logs it deletes, by range.
        logs: Vec<(u64, u64)>,
        /// The checkpoints it deletes, by the seq each covers entries below.
        checkpoints: Vec<u64>,
        /// The newest checkpoint it found covers the entries below this seq.
        covered: u64,
    },
    /// The master process exited on its own (flush timeout).
    MasterExit {
        /// Why it exited.
        reason: String,
    },
    /// A worker registered with this primary.
    WorkerRegistered {
        /// The worker's id at this primary.
        worker_id: u64,
        /// The worker's node.
        worker: String,
    },
    /// This primary marked a worker lost, silent since `last_heard_us`.
    WorkerLost {
        /// The worker's id at this primary.
        worker_id: u64,
        /// When this master last heard from the worker: its registration or last heartbeat.
        last_heard_us: u64,
    },
    /// A master's state at the end of the run.
    FinalState {
        /// Whether it reported itself primary.
        primary: bool,
        /// One past the last entry its state holds.
        applied_seq: u64,
        /// The digest of its namespace.
        digest: u64,
    },

    /// At the end of the run, a master that reported itself primary was asked for the workers it
    /// knows: `None` when it refused (safe mode, no longer primary) or did not answer.
    FinalWorkerList {
        /// Each worker's id and node, or `None` for a refusal or no answer.
        workers: Option<Vec<(u64, String)>>,
    },

    /// When the faults healed, the first master found primary was asked for its worker list, as
    /// a client writing a block would: `None` when it refused or did not answer. A primary just
    /// promoted is in safe mode and must refuse.
    HealWorkerList {
        /// Each worker's id and node, or `None` for a refusal or no answer.
        workers: Option<Vec<(u64, String)>>,
    },

    /// At the end of the run, after the fresh reader's replay, the final primary was asked for
    /// the blocks of every file the journal holds complete: each file's path, its block ids as the
    /// journal has them, and what the primary answered (`None`: it refused or did not answer).
    FinalBlockLocations {
        /// One entry per completed file of the journal.
        files: Vec<FinalFile>,
    },

    // ---- workers ----
    /// The worker stored a block a client wrote to it (before committing it to the master), and
    /// now uses `used_bytes` of its capacity.
    BlockStored {
        /// The block.
        block_id: BlockId,
        /// Its length in bytes.
        length: u64,
        /// The worker's used bytes after storing it.
        used_bytes: u64,
    },
    /// The worker removed a block it held: the master's Free command (`freed`), or a commit the
    /// master refused with a definite answer.
    BlockRemoved {
        /// The block.
        block_id: BlockId,
        /// The worker's used bytes after removing it.
        used_bytes: u64,
        /// Whether a Free command removed it.
        freed: bool,
    },
    /// The worker got an id from the primary.
    WorkerGotId {
        /// The worker's id at this primary.
        worker_id: u64,
    },
    /// The worker was told to register again (a new primary, or a master that marked it lost).
    WorkerReregister {
        /// The id it had.
        old_id: u64,
        /// The master that last answered it under that id (a heartbeat or the registration),
        /// and when the worker sent that call: that master heard from it no sooner.
        last_heard: Option<(String, u64)>,
    },
    /// A worker's call to the primary failed and it stays up: it has been `silent_us` without a
    /// successful registration or heartbeat, within its heartbeat timeout.
    WorkerCallFailed {
        /// How long since its last successful registration or heartbeat (microseconds).
        silent_us: u64,
    },
    /// The worker's calls failed for longer than the heartbeat timeout; it exits.
    /// `silent_us`: how long since its last successful registration or heartbeat.
    WorkerExit {
        /// How long since its last successful registration or heartbeat (microseconds).
        silent_us: u64,
    },

    // ---- ZooKeeper ----
    /// The server expired a session and deleted its ephemeral znodes.
    SessionExpired {
        /// The ZooKeeper session id.
        session: u64,
        /// The node that held the session.
        owner: String,
    },
    /// A client-side connection state change.
    Connection {
        /// The new state.
        state: ConnState,
        /// The ZooKeeper session id.
        session: u64,
    },
    /// The server answered a repeated request (same session and request id: a resend whose
    /// first answer was lost) from its reply cache, as it answered the first, without applying
    /// it again. (Pings are answered outside the cache, as in ZooKeeper.)
    ZooKeeperRetryAnswered {
        /// The node that held the session.
        owner: String,
        /// The ZooKeeper session id.
        session: u64,
        /// The request's id within its session.
        xid: u64,
    },

    // ---- harness ----
    /// An injected fault changed what a component did: the UFS failed or delayed an operation,
    /// ZooKeeper expired a session, or restarted session timers after its quorum came back
    /// (`fault` is the fault's kind, `node` the node it hit). The
    /// coverage facts `*-took-effect` count these, so a fault that is applied but does nothing
    /// does not pass for coverage.
    FaultTookEffect {
        /// The kind of the fault that took effect.
        fault: FaultKind,
        /// The node it hit.
        node: String,
    },
    /// The UFS answered a repeated at-most-once call from its retry cache, as it answered the
    /// first try: `client` is the caller's process, `call` what it asked.
    UfsRetryAnswered {
        /// The calling process.
        client: String,
        /// What it asked.
        call: RepeatKey,
    },
    /// The harness crashed a node.
    NodeCrash,
    /// The harness restarted a node.
    NodeRestart,
    /// The harness paused a node.
    NodePause,
    /// The harness resumed a node.
    NodeResume,
    /// The nemesis applied a fault (`healed == false`) or undid it: its `kind`, its description
    /// `fault` with its targets resolved, and those targets `nodes` (none: the fault is on the
    /// whole cluster or on a service, such as message loss, `rename-fail` or ZooKeeper's quorum).
    /// A heal repeats what its fault recorded when applied.
    Fault {
        /// The fault's kind.
        kind: FaultKind,
        /// The fault as applied, its targets resolved (`crash master-2`).
        fault: String,
        /// Its target nodes, resolved (none: the whole cluster or a service).
        nodes: Vec<Role>,
        /// Whether this records the heal.
        healed: bool,
    },
    /// A run phase began.
    Phase {
        /// The phase: `safety`, `liveness` or `final`.
        name: String,
    },
    /// A fresh reader replayed the whole journal after the run: the checkpoint it started from
    /// (entries below `checkpoint_seq`, with the operation ids of its retry cache), then every
    /// log entry as (seq, term, op_id), the resulting digest, and any gap it hit.
    JournalReplay {
        /// The checkpoint it started from covers the entries below this.
        checkpoint_seq: u64,
        /// The operation ids of the checkpoint's retry cache.
        checkpoint_ops: Vec<u64>,
        /// Every log entry after the checkpoint, as (seq, term, op_id).
        entries: Vec<(u64, u64, u64)>,
        /// The digest of the namespace the replay ends with.
        digest: u64,
        /// The gap or error the replay hit, if any.
        problem: Option<String>,
        /// The digest after the first `seq` entries, for each `applied_seq` a master reported in
        /// its final state (standbys read only completed logs, so they may be a prefix behind).
        digest_at: Vec<(u64, Option<u64>)>,
        /// The operation id of every entry from sequence number 0, as the journal recorded them
        /// over the whole run (logs since collected included), up to the first gap.
        order: Vec<u64>,
        /// Where the checkpoint and the completed logs end: what a standby can have replayed.
        completed_end: u64,
        /// The completed logs (ranges) and checkpoints (the seq each covers entries below) that
        /// the storage itself deleted during the run, whoever asked, in order.
        deleted_logs: Vec<(u64, u64)>,
        /// The checkpoints the storage deleted, by the seq each covers entries below.
        deleted_checkpoints: Vec<u64>,
    },
}

/// One completed file at the end of a run, as [`EventKind::FinalBlockLocations`] records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FinalFile {
    /// Its path.
    pub path: String,
    /// Its block ids, as the journal holds them.
    pub blocks: Vec<BlockId>,
    /// The final primary's block-location answer (`None`: refused, or no answer).
    pub answer: Option<Vec<BlockInfo>>,
}
