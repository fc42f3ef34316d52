//! Following one SMTP client dialogue from a log that records commands and replies on separate
//! lines (IIS, Exchange protocol logs): which reply ends which recipient's attempt.

/// The state of one outbound dialogue.
#[derive(Debug, Default)]
pub struct Dialogue {
    last_command: String,
    pending: Option<String>,
    accepted: Vec<String>,
    in_data: bool,
}

/// What a reply settled: the attempt of these recipients (`None`: the session failed before any
/// recipient was named) ended with the reply's code.
pub type Settled = Vec<Option<String>>;

impl Dialogue {
    /// We sent `verb` with `argument` (`RCPT`, `TO:<a@b>`).
    pub fn command(&mut self, verb: &str, argument: &str) {
        let verb = verb.to_ascii_uppercase();
        match verb.as_str() {
            "MAIL" | "RSET" => {
                self.accepted.clear();
                self.pending = None;
                self.in_data = false;
            }
            "RCPT" => self.pending = Some(address(argument)),
            _ => {}
        }
        self.last_command = verb;
    }

    /// The server replied `code`; returns the recipients whose attempt it settles.
    pub fn reply(&mut self, code: u16) -> Settled {
        match self.last_command.as_str() {
            "RCPT" => {
                let pending = self.pending.take();
                if code >= 400 {
                    return vec![pending];
                }
                self.accepted.extend(pending);
                Vec::new()
            }
            "DATA" | "BDAT" if code == 354 => {
                self.in_data = true;
                Vec::new()
            }
            "DATA" | "BDAT" if self.in_data || code >= 400 => {
                self.in_data = false;
                let recipients = std::mem::take(&mut self.accepted);
                if recipients.is_empty() { vec![None] } else { recipients.into_iter().map(Some).collect() }
            }
            "QUIT" | "RSET" | "NOOP" => Vec::new(),
            // The banner, HELO/EHLO, MAIL FROM, STARTTLS: only a failure settles anything.
            _ if code >= 400 => vec![self.pending.clone()],
            _ => Vec::new(),
        }
    }

    /// True after QUIT.
    pub fn quitting(&self) -> bool {
        self.last_command == "QUIT"
    }
}

/// The address in `TO:<a@b>`, `FROM: <a@b> SIZE=1`, `TO:&lt;a@b&gt;`.
pub fn address(argument: &str) -> String {
    let text = argument.replace("&lt;", "<").replace("&gt;", ">");
    let after = text.split_once(':').map(|(_, a)| a).unwrap_or(&text).trim();
    let token = match after.find('<') {
        Some(open) => {
            let inner = &after[open + 1..];
            inner.split('>').next().unwrap_or(inner)
        }
        None => after.split_whitespace().next().unwrap_or(""),
    };
    token.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rcpt_failure_and_data_success() {
        let mut d = Dialogue::default();
        assert!(d.reply(220).is_empty());
        d.command("MAIL", "FROM:<s@x>");
        assert!(d.reply(250).is_empty());
        d.command("RCPT", "TO:<a@b.example>");
        assert_eq!(d.reply(450), vec![Some("a@b.example".to_string())]);
        d.command("RCPT", "TO:&lt;c@b.example&gt;");
        assert!(d.reply(250).is_empty());
        d.command("DATA", "");
        assert!(d.reply(354).is_empty());
        assert_eq!(d.reply(250), vec![Some("c@b.example".to_string())]);
        d.command("MAIL", "FROM:<s@x>");
        assert_eq!(d.reply(421), vec![None]);
    }
}
