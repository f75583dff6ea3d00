//! A picture of one run: a self-contained HTML file with one lane per node on one simulated-time
//! axis, the faults shaded across the lanes they touch, the journal's terms and writes, and every
//! violation marked at its first breaking event.
//!
//! Like a checker, the renderer reads only the recorded history (plus the plan, the violations
//! and the replay command for the header): `lanes.rs` derives each node's intervals and marks
//! from the events (`masters.rs` and `nodes.rs` per kind of node, from the row vocabulary of
//! `rows.rs`), `faults.rs` pairs every fault the nemesis applied with its heal, `svg.rs` and
//! `overlay.rs` draw them and `html.rs` wraps the drawing in a page with its header, legend, style and the small script
//! that zooms and pans. Nothing is fetched from a network, and nothing in the output depends on
//! the wall clock or on randomness: the same run gives the same file, byte for byte.
//!
//! The page is written with plain `write!` into a `String`. A templating crate (askama, tera,
//! maud) was considered and not taken: the document is one page whose every repeated part (a
//! lane, a bar, a tick path) is a loop over derived data, which `write!` expresses as directly
//! as a template would, and escaping is one function ([`escape()`]) applied at each insertion
//! point. The style sheet and the script are ordinary files (`timeline.css`, `timeline.js`)
//! included at compile time.

mod escape;
mod faults;
mod html;
mod lanes;
mod masters;
mod nodes;
mod overlay;
mod rows;
mod svg;

pub use escape::escape;

use crate::check::Violation;
use crate::failure::Unfinished;
use crate::history::Event;
use crate::model::Plans;
use crate::plan::Plan;
use crate::reproduction::Reproduction;
use crate::run::Outcome;

/// What a timeline is drawn from: the history, and for the header the plan, the violations and
/// the command that replays the run.
#[derive(Clone, Copy, Debug)]
pub struct Run<'a> {
    /// The run's seed.
    pub seed: u64,
    /// Its plan.
    pub plan: &'a Plan,
    /// Its history.
    pub events: &'a [Event],
    /// What it broke.
    pub violations: &'a [Violation],
    /// The command that replays it.
    pub replay: &'a Reproduction,
}

impl<'a> Run<'a> {
    /// A finished run's history, plan and violations, with the command that replays it.
    pub fn of(outcome: &'a Outcome, replay: &'a Reproduction) -> Run<'a> {
        Run {
            seed: outcome.seed,
            plan: &outcome.plan,
            events: &outcome.events,
            violations: &outcome.violations,
            replay,
        }
    }
}

/// The whole HTML document of one run's timeline.
pub fn render(run: &Run) -> String {
    let timeline = lanes::derive(run.plan, run.events, run.violations);
    let faults = faults::derive(run.events, &timeline);
    html::page(run, &timeline, &faults)
}

/// Runs `seed` of `plans` again (a sweep keeps no histories) and renders its timeline. `Err`
/// says why the run did not finish: such a run leaves no history to draw.
pub fn rerun(seed: u64, plans: &dyn Plans) -> Result<String, Unfinished> {
    let outcome = crate::run::run(seed, plans.plan(seed))?;
    let replay = plans.reproduction(seed);
    Ok(render(&Run::of(&outcome, &replay)))
}

/// Simulated microseconds as milliseconds, with at most three decimals and no trailing zeros
/// (the drawing's horizontal unit).
pub fn ms(us: u64) -> String {
    let (whole, frac) = (us / 1000, us % 1000);
    if frac == 0 {
        whole.to_string()
    } else {
        let s = format!("{whole}.{frac:03}");
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
mod tests;
