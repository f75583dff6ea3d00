//! `leader_lookup`: of several leader znodes, a client takes the newest.

use crate::support::history::{breach, history, options};
use ftsim::check::leader_lookup::PROPERTY;

#[test]
fn leader_lookup_takes_the_newest_leader_znode() {
    let o = options();
    let choice = |chose: &str| {
        history(&format!(
            "100 client-0 leader_choice candidates=[[\"10.0.1.1:7000\",5000],[\"10.0.1.2:7000\",90000]] chose={chose}"
        ))
    };
    assert_eq!(PROPERTY.violation(&choice("10.0.1.2:7000"), &o), None);
    breach(&PROPERTY, &choice("10.0.1.1:7000"), &o, "is the newest");
    // Equal creation times: the name decides, as the client's rule says.
    let tie = history(
        "100 client-0 leader_choice candidates=[[\"10.0.1.1:7000\",5000],[\"10.0.1.3:7000\",5000]] chose=10.0.1.1:7000",
    );
    breach(&PROPERTY, &tie, &o, "10.0.1.3:7000");
}
