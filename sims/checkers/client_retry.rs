//! `client_retry`: a client retries only what is retryable, until its time is spent, and a
//! definite answer is what its caller gets.

use crate::support::history::{breach, history, options};
use ftsim::check::client_retry::PROPERTY;

/// A call invoked at 0 ms whose first attempt heard `answer`, then the lines of `rest`.
fn call(answer: &str, rest: &str) -> Vec<ftsim::Event> {
    history(&format!(
        r#"0  client-0 invoke op={{"op":"mkdir","path":"/a"}} op_id=7
           1  client-0 attempt attempt=1 lookups=1 master=master-0 op_id=7
           2  client-0 attempt_failed answer={answer} op_id=7
           {rest}"#
    ))
}

#[test]
fn client_retry_only_retryable_answers_are_retried_until_the_bound() {
    let o = options();
    let max = o.user_rpc_retry_max_duration_ms;
    // Retried after no answer, and the next attempt's definite answer ends the call.
    let ok = call(
        "no_answer",
        r#"60 client-0 retrying op_id=7
           61 client-0 attempt attempt=2 lookups=1 master=master-1 op_id=7
           62 client-0 fail by=master-1 error={"fs":"already_exists"} op_id=7"#,
    );
    assert_eq!(PROPERTY.violation(&ok, &o), None);
    // Every kind of retryable answer, ending Unavailable once the time is spent.
    for answer in ["no_primary", "no_answer", "unavailable"] {
        let spent = call(
            answer,
            &format!("{max} client-0 fail error=\"unavailable\" op_id=7"),
        );
        assert_eq!(PROPERTY.violation(&spent, &o), None, "{answer}");
    }
    // A definite answer retried.
    let definite = call(
        r#"{"definite":"not_found"}"#,
        "60 client-0 retrying op_id=7",
    );
    breach(&PROPERTY, &definite, &o, "after a definite answer");
    // Gave up before the retry time was spent.
    let early = call(
        "unavailable",
        &format!("{} client-0 fail error=\"unavailable\" op_id=7", max / 2),
    );
    breach(&PROPERTY, &early, &o, "before user.rpc.retry.max.duration");
    // Ended Unavailable on an attempt that did not fail retryably (a definite answer turned into
    // Unavailable).
    let turned = history(&format!(
        r#"0 client-0 invoke op={{"op":"mkdir","path":"/a"}} op_id=7
           1 client-0 attempt attempt=1 lookups=1 master=master-0 op_id=7
           {max} client-0 fail error="unavailable" op_id=7"#
    ));
    breach(&PROPERTY, &turned, &o, "did not fail retryably");
    // A definite error after the last attempt had failed retryably: not what an attempt heard.
    let invented = call(
        "no_answer",
        r#"3 client-0 fail by=master-0 error={"fs":"not_found"} op_id=7"#,
    );
    breach(
        &PROPERTY,
        &invented,
        &o,
        "a definite error comes from the attempt",
    );
}
