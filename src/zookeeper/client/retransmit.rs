//! What TCP adds to the client's messages: retransmission, of a connection's SYN and of a
//! ping, until answered or given up.

use super::Inner;
use crate::deadline::call_within;
use crate::zookeeper::{ZkError, ZkReply, ZkRequest};
use futures::{FutureExt, StreamExt};
use madsim::time::Instant;
use std::time::Duration;

/// When, after a connection attempt begins, its SYN is sent again (Linux: an initial
/// retransmission timeout of 1 s, doubled each time).
pub(super) const SYN_RETRIES: [Duration; 3] = [
    Duration::from_secs(1),
    Duration::from_secs(3),
    Duration::from_secs(7),
];

/// When, after a ping is sent on an established connection, TCP sends it again if it is not
/// acknowledged (Linux: the minimum retransmission timeout of 200 ms, doubled each time), so a
/// ping lost in a cut that heals before the read timeout still gets through.
pub(super) const DATA_RETRIES: [Duration; 5] = [
    Duration::from_millis(200),
    Duration::from_millis(600),
    Duration::from_millis(1_400),
    Duration::from_millis(3_000),
    Duration::from_millis(6_200),
];

impl Inner {
    /// One connection attempt lasting at most `limit`. Each attempt is a new TCP connection,
    /// whose SYN the kernel sends again 1 s after the first and then at doubling intervals
    /// ([`SYN_RETRIES`]): a cut that heals during a long attempt is crossed at the next
    /// retransmission, not at the next attempt.
    pub(super) async fn attempt(
        &self,
        req: ZkRequest,
        limit: Duration,
    ) -> std::io::Result<Result<ZkReply, ZkError>> {
        self.send(req, limit, &SYN_RETRIES, true).await
    }

    /// Sends `req` and again at each of `retries` (after the first send) until answered or
    /// until `limit` passes, as TCP retransmits what is not acknowledged. Each send is the
    /// client's last (for the ping schedule) if `counts`: a connection's request is written
    /// when its SYN gets through, while a retransmitted ping was written once.
    pub(super) async fn send(
        &self,
        req: ZkRequest,
        limit: Duration,
        retries: &[Duration],
        counts: bool,
    ) -> std::io::Result<Result<ZkReply, ZkError>> {
        let started = Instant::now();
        let end = started + limit;
        let mut resends = retries.iter().map(|o| started + *o).filter(|t| *t < end);
        // Every send stays in flight until `end`: a retransmission does not give up on what
        // was sent before, whose answer may still come.
        let mut calls = futures::stream::FuturesUnordered::new();
        let mut next = Some(started);
        loop {
            if next.is_some_and(|at| at <= Instant::now()) {
                if counts {
                    self.conn.lock().unwrap().last_send = Instant::now();
                }
                let left = end.saturating_duration_since(Instant::now());
                calls.push(call_within(&self.ep, self.server, req.clone(), left));
                next = resends.next();
            }
            let resend = async {
                match next {
                    Some(at) => madsim::time::sleep_until(at).await,
                    None => futures::future::pending::<()>().await,
                }
            };
            futures::select_biased! {
                answer = calls.select_next_some() => {
                    if answer.is_ok() || (calls.is_empty() && next.is_none()) {
                        return answer;
                    }
                }
                _ = resend.fuse() => {}
            }
        }
    }
}
