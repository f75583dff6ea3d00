//! The words actors and checkers share: what a component records in the history and a checker
//! reads back, typed, so that neither side agrees with the other through text. It depends on
//! nothing else in the crate (the client calls' own words are in [`crate::op`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::hash::{Hash, Hasher};

/// Client-side ZooKeeper connection state (Curator's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnState {
    /// Connected with a session.
    Connected,
    /// Contact with the server lost; the session may still be alive.
    Suspended,
    /// Contact back after a suspension; the session may or may not have survived.
    Reconnected,
    /// The session is known to be gone.
    Lost,
}

/// Why a primary stepped down: what made `losePrimacy` run.
///
/// It serialises, prints and hashes as the text Alluxio's own log would give, so histories keep
/// one form however the cause is spelled in code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepDownReason {
    /// Its writer found the journal taken over by another primary (lease recovered).
    Fenced,
    /// Its journal flushes failed for longer than `master.journal.flush.timeout`: the process
    /// exits.
    FlushTimeout,
    /// The journal writer stopped without saying why.
    WriterStopped,
    /// The leader selector's connection-error policy ended primacy on this connection state.
    Connection(ConnState),
    /// The master's ZooKeeper client closed.
    ZooKeeperClosed,
}

impl StepDownReason {
    const FENCED: &'static str = "fenced: another primary took the journal";
    const FLUSH_TIMEOUT: &'static str = "journal flush timeout";
    const WRITER_STOPPED: &'static str = "journal writer stopped";
    const CONNECTION: &'static str = "zookeeper connection ";
    const ZOOKEEPER_CLOSED: &'static str = "zookeeper client closed";
}

impl fmt::Display for StepDownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepDownReason::Fenced => f.write_str(Self::FENCED),
            StepDownReason::FlushTimeout => f.write_str(Self::FLUSH_TIMEOUT),
            StepDownReason::WriterStopped => f.write_str(Self::WRITER_STOPPED),
            StepDownReason::Connection(state) => write!(f, "{}{state:?}", Self::CONNECTION),
            StepDownReason::ZooKeeperClosed => f.write_str(Self::ZOOKEEPER_CLOSED),
        }
    }
}

impl std::str::FromStr for StepDownReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let state = |name: &str| match name {
            "Connected" => Some(ConnState::Connected),
            "Suspended" => Some(ConnState::Suspended),
            "Reconnected" => Some(ConnState::Reconnected),
            "Lost" => Some(ConnState::Lost),
            _ => None,
        };
        Ok(match s {
            Self::FENCED => StepDownReason::Fenced,
            Self::FLUSH_TIMEOUT => StepDownReason::FlushTimeout,
            Self::WRITER_STOPPED => StepDownReason::WriterStopped,
            Self::ZOOKEEPER_CLOSED => StepDownReason::ZooKeeperClosed,
            _ => match s.strip_prefix(Self::CONNECTION).and_then(state) {
                Some(state) => StepDownReason::Connection(state),
                None => return Err(format!("unknown step-down reason `{s}`")),
            },
        })
    }
}

impl Hash for StepDownReason {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.to_string().hash(state)
    }
}

impl Serialize for StepDownReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StepDownReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A call that changes the UFS namespace. HDFS marks these at-most-once: sent with its client's
/// ids, a repeat is answered from the retry cache as the first try was, not applied again.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceChange {
    /// Create an empty file and take its lease.
    Create {
        /// The new file.
        path: String,
        /// The process that takes the lease.
        holder: String,
    },
    /// With `holder`, only if that client still holds the file's lease (HDFS completes a file
    /// only for its lease holder; a writer completes its log that way before renaming it).
    Rename {
        /// The file renamed.
        src: String,
        /// Its new name, which must be free.
        dst: String,
        /// The lease holder the rename is conditional on.
        holder: Option<String>,
    },
    /// With `holder`, only if that client still holds the file's lease.
    Delete {
        /// The file deleted.
        path: String,
        /// The lease holder the delete is conditional on.
        holder: Option<String>,
    },
}

/// An at-most-once UFS call as its client tells a repeat from a new call, and as the retry
/// cache's answer to a repeat records it: the call without the records a put carries.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatKey {
    /// A namespace change.
    Change(NamespaceChange),
    /// A put (a checkpoint written in one step) of this path.
    Put {
        /// The file put.
        path: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_down_reasons_read_back_from_their_text() {
        let all = [
            StepDownReason::Fenced,
            StepDownReason::FlushTimeout,
            StepDownReason::WriterStopped,
            StepDownReason::Connection(ConnState::Suspended),
            StepDownReason::Connection(ConnState::Lost),
            StepDownReason::ZooKeeperClosed,
        ];
        for reason in all {
            let text = serde_json::to_string(&reason).unwrap();
            assert_eq!(
                serde_json::from_str::<StepDownReason>(&text).unwrap(),
                reason
            );
        }
        assert_eq!(
            StepDownReason::Connection(ConnState::Lost).to_string(),
            "zookeeper connection Lost"
        );
        assert!("meteor".parse::<StepDownReason>().is_err());
    }
}
