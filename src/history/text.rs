//! The history's text form: one event a line, written by [`Event::compact`] and read back by
//! [`Event::parse`]. A trace excerpt or a history written by hand for a checker's test reads back
//! into events.

use super::{Event, EventKind};

impl Event {
    /// One line for people and snapshots: `  1234.567 ms  master-0    journal_ack op_id=.. seq=3`.
    pub fn compact(&self) -> String {
        format!(
            "{:>11.3} ms  {:<11} {}",
            self.at_ms(),
            self.node,
            self.kind.compact()
        )
    }

    /// Reads back one line as [`Event::compact`] writes it: `<ms> [ms] <node> <event>
    /// key=value ...`, a value as JSON or, for a string without spaces, bare. A trace printed by
    /// `ftsim run --trace` (its lines' prefix dropped) or written by hand reads back this way.
    pub fn parse(line: &str) -> Result<Event, String> {
        let tokens = split_fields(line.trim())?;
        let mut tokens = tokens.into_iter().peekable();
        let at = tokens.next().ok_or("an empty line")?;
        let at_ms: f64 = at
            .parse()
            .map_err(|_| format!("`{at}` is not a time in milliseconds"))?;
        if tokens.peek().map(String::as_str) == Some("ms") {
            tokens.next();
        }
        let node = tokens.next().ok_or("no node")?;
        let name = tokens.next().ok_or("no event name")?;
        let mut fields = serde_json::Map::new();
        fields.insert("event".into(), name.clone().into());
        for token in tokens {
            let (key, value) = token
                .split_once('=')
                .ok_or_else(|| format!("`{token}` is not key=value"))?;
            let value = serde_json::from_str(value)
                .unwrap_or_else(|_| serde_json::Value::String(value.to_string()));
            fields.insert(key.to_string(), value);
        }
        let kind: EventKind = serde_json::from_value(serde_json::Value::Object(fields))
            .map_err(|e| format!("`{name}`: {e}"))?;
        Ok(Event {
            at_us: (at_ms * 1000.0).round() as u64,
            node,
            kind,
        })
    }
}

impl EventKind {
    /// The event's name and fields as `name key=value ...`, keys sorted, values as JSON.
    pub fn compact(&self) -> String {
        let value = serde_json::to_value(self).expect("events serialise");
        let serde_json::Value::Object(fields) = value else {
            unreachable!("events are tagged objects")
        };
        let mut line = fields["event"].as_str().unwrap_or("?").to_string();
        for (key, value) in fields.iter().filter(|(k, _)| *k != "event") {
            line.push(' ');
            line.push_str(key);
            line.push('=');
            match value {
                serde_json::Value::String(s) if !s.contains(' ') => line.push_str(s),
                other => line.push_str(&other.to_string()),
            }
        }
        line
    }
}

/// Reads a history written one event a line (as [`Event::compact`] writes them); blank lines
/// and lines starting with `#` are skipped. An error names the line.
pub fn parse_events(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|(i, l)| Event::parse(l).map_err(|e| format!("line {}: {e}: {}", i + 1, l.trim())))
        .collect()
}

/// Splits a line at spaces outside JSON strings, arrays and objects.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let (mut out, mut cur) = (vec![], String::new());
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    for c in line.chars() {
        if quoted {
            cur.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            ' ' if depth == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if quoted || depth != 0 {
        return Err("an unclosed string, list or object".into());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::StepDownReason;

    /// Every event of real runs reads back from its one-line form as it was.
    #[test]
    fn every_event_reads_back_from_its_line() {
        let model = crate::model::Model::fast();
        for seed in 1..=6 {
            let outcome = crate::run::run(seed, model.plan(seed)).unwrap();
            for e in &outcome.events {
                assert_eq!(
                    Event::parse(&e.compact()).as_ref(),
                    Ok(e),
                    "{}",
                    e.compact()
                );
            }
        }
    }

    #[test]
    fn a_hand_written_history_reads_and_a_broken_line_is_named() {
        let events = parse_events(
            "# a primary and a step-down\n\
             5 master-0 promoting term=1\n\
             \n\
             12.5 ms master-0 stepped_down reason=\"fenced: another primary took the journal\" term=1\n\
             13 nemesis fault fault=\"crash master-0\" healed=false kind=crash nodes=[\"master-0\"]",
        )
        .unwrap();
        assert_eq!(events.len(), 3);
        assert_eq!(events[1].at_us, 12_500);
        assert_eq!(
            events[1].kind,
            EventKind::SteppedDown {
                term: 1,
                reason: StepDownReason::Fenced
            }
        );
        let err = parse_events("1 master-0 promoting\n2 master-0 promoting term=x").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
        assert!(parse_events("1 master-0 meteor")
            .unwrap_err()
            .contains("meteor"));
    }
}
