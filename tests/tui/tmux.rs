//! End to end in a real terminal: `mailwiz demo` driven through tmux (send-keys, capture-pane),
//! and a panic inside the TUI that must give the terminal back and keep the journal.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long any one screen may take to appear; generous for a loaded CI machine.
const DEADLINE: Duration = Duration::from_secs(30);

/// A tmux server of its own (socket named for the test) running a shell.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, env: &[(&str, &str)]) -> Tmux {
        Tmux::start_sized(name, env, (120, 40))
    }

    /// A tmux server running a shell on a terminal of `size` (columns, rows).
    fn start_sized(name: &str, env: &[(&str, &str)], size: (u16, u16)) -> Tmux {
        let socket = format!("mailwiz-test-{name}-{}", std::process::id());
        let tmux = Tmux { socket };
        let mut shell = vec!["env".to_string(), "PS1=$ ".to_string(), "NO_COLOR=1".to_string()];
        shell.extend(env.iter().map(|(k, v)| format!("{k}={v}")));
        shell.extend(["sh".to_string(), "-i".to_string()]);
        let (x, y) = (size.0.to_string(), size.1.to_string());
        let out = tmux.run(&[&["new-session", "-d", "-x", &x, "-y", &y], &as_strs(&shell)[..]].concat());
        assert!(out.status.success(), "tmux new-session failed: {}", String::from_utf8_lossy(&out.stderr));
        tmux.wait_for("the shell prompt", |s| s.lines().any(|l| l.trim_end() == "$"));
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux is installed")
    }

    /// Types `keys` (tmux key names or literal text with `-l`).
    fn keys(&self, keys: &[&str]) {
        let out = self.run(&[&["send-keys", "-t", "0"], keys].concat());
        assert!(out.status.success(), "send-keys {keys:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    fn alternate_screen(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "0", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Polls the screen until `ready` holds; panics with the last screen after the deadline.
    fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(start.elapsed() <= DEADLINE, "timed out waiting for {what}; the screen was:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Saves the session with Ctrl-S under `base` and waits for the confirmation.
    fn save_to(&self, base: &std::path::Path) {
        self.keys(&["C-s"]);
        self.wait_for("the save prompt", |s| s.contains("save to>"));
        self.keys(&["C-u"]);
        self.text(&base.display().to_string());
        self.keys(&["Enter"]);
        self.wait_for("the save message", |s| s.contains("✓ saved"));
    }

    /// Checks that the terminal is back in a usable state: main screen, cooked mode with echo, and
    /// a shell that runs what is typed.
    fn assert_usable(&self) {
        self.wait_for("the main screen", |_| !self.alternate_screen());
        self.keys(&["C-u"]);
        self.text("clear; stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e echo | tr '\\n' ' '; echo :$((40+2))");
        self.keys(&["Enter"]);
        let screen = self.wait_for("the shell to answer", |s| s.contains(":42"));
        assert!(screen.contains("icanon echo :42"), "the terminal is still raw:\n{screen}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn as_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mailwiz")
}

fn quote(path: &Path) -> String {
    format!("'{}'", path.display())
}

fn journal_events(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every journal line is whole"))
        .collect()
}

#[test]
fn demo_walkthrough_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let state_home = state.path().to_str().unwrap();
    let tmux = Tmux::start("demo", &[("XDG_STATE_HOME", state_home)]);
    tmux.text(&format!("{} demo", bin()));
    tmux.keys(&["Enter"]);

    // The four regions, the status bar and the banner.
    let screen = tmux.wait_for("the wizard", |s| s.contains("Tab next step") && s.contains("1 Queue"));
    for part in ["DEMO WORLD", "┌ Steps", "┌ 1 Queue", "┌ Findings", "q/Ctrl-C quit", "our IP: 203.0.113.5"] {
        assert!(screen.contains(part), "no {part:?} on\n{screen}");
    }
    assert!(tmux.alternate_screen());

    // A smaller terminal redraws at its size, then back.
    tmux.run(&["resize-window", "-t", "0", "-x", "80", "-y", "24"]);
    tmux.wait_for("the 80x24 layout", |s| {
        s.lines().count() <= 24 && s.contains("DEMO ") && s.contains("Tab next") && s.contains("? help")
    });
    tmux.run(&["resize-window", "-t", "0", "-x", "120", "-y", "40"]);
    tmux.wait_for("the 120x40 layout", |s| s.contains("DEMO WORLD · nothing leaves this machine"));

    // Tab visits all seven steps and wraps.
    for (n, title) in ["MX", "Logs", "SMTP", "Identity", "Blocklists", "Diagnosis", "Queue"].iter().enumerate() {
        tmux.keys(&["Tab"]);
        let number = (n + 1) % 7 + 1;
        let pane_title = format!("┌ {number} {title} ");
        tmux.wait_for(&pane_title, |s| s.contains(&pane_title) && s.contains(&format!("▶{number} ")));
    }

    // A note appears in the findings panel.
    tmux.keys(&["n"]);
    tmux.wait_for("the note prompt", |s| s.contains("note>"));
    tmux.text("called bank support");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the note in the findings panel", |s| s.contains("✎ note") && s.contains("called bank support"));

    // Saving to a path that cannot be written is an error line, and the session goes on.
    let blocker = state.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    tmux.keys(&["C-s"]);
    tmux.wait_for("the save prompt", |s| s.contains("save to>"));
    tmux.keys(&["C-u"]);
    tmux.text(&blocker.join("report").display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the save error", |s| s.contains("✗ not saved: cannot write"));
    tmux.keys(&["Tab"]);
    tmux.wait_for("the wizard to go on", |s| s.contains("┌ 2 MX "));

    // Ctrl-S writes transcript, report and journal.
    let base: PathBuf = state.path().join("saved/walkthrough");
    tmux.save_to(&base);
    let transcript = std::fs::read_to_string(base.with_extension("txt")).expect("the transcript is written");
    assert!(transcript.contains(" %%% called bank support\n"), "{transcript}");
    assert!(transcript.contains(" === mailwiz "), "{transcript}");
    assert!(std::fs::read_to_string(base.with_extension("md")).unwrap().contains("called bank support"));
    assert!(base.with_extension("jsonl").is_file());

    // Quit; nothing is unsaved, so no question.
    tmux.keys(&["q"]);
    tmux.assert_usable();
    let sessions = state.path().join("mailwiz/sessions");
    let journals: Vec<_> = std::fs::read_dir(&sessions).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(journals.len(), 1, "one journal in {}", sessions.display());
    let events = journal_events(&journals[0]);
    assert!(events.iter().any(|e| e["kind"] == "note" && e["data"]["summary"] == "called bank support"));
}

/// The whole wizard in the demo world, step by step as an admin walks it: queue → MX → logs →
/// SMTP probe → identity → block lists → diagnosis → save.
#[test]
fn whole_wizard_walk_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start("walk", &[("XDG_STATE_HOME", state.path().to_str().unwrap())]);
    tmux.text(&format!("{} demo", bin()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard", |s| s.contains("Tab next step") && s.contains("┌ 1 Queue"));

    // Step 1: the queue, grouped by domain; Enter picks bank.example and moves to step 2.
    tmux.keys(&["Enter"]);
    tmux.wait_for("the queue by domain", |s| s.contains("▶ bank.example") && s.contains("queue.stuck_domain"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the target set", |s| s.contains("target: bank.example") && s.contains("┌ 2 MX "));

    let run_step = |what: &str, done: &dyn Fn(&str) -> bool| {
        tmux.keys(&["Enter"]);
        tmux.wait_for(what, done);
        tmux.keys(&["Tab"]);
    };
    run_step("the MX analysis", &|s| s.contains("10 mx1.bank.example") && s.contains("mx.ok"));
    run_step("the log summary", &|s| s.contains("Reply codes 421 4.0.0") && s.contains("log.deferrals"));
    run_step("the SMTP probe", &|s| s.contains("banner_4xx") && s.contains("closed_before_banner"));
    run_step("the identity check", &|s| s.contains("ptr.missing") && s.contains("helo.mismatch"));
    run_step("the block lists", &|s| s.contains("dnsbl.listed"));
    tmux.keys(&["Enter"]);
    // Both causes, then their order: a capture may catch a frame still being written.
    let screen = tmux.wait_for("the diagnosis", |s| {
        s.contains("1. The receiver refuses us because 203.0.113.5") && s.contains("2. 203.0.113.5 is on a block")
    });
    let (first, second) = (screen.find("1. The receiver refuses us"), screen.find("2. 203.0.113.5 is on a block"));
    assert!(first < second, "the listing second:\n{screen}");
    assert!(!screen.contains("Our HELO name"), "refused at the greeting, the HELO is no cause:\n{screen}");

    let base: PathBuf = state.path().join("saved/bank");
    tmux.save_to(&base);

    let report = std::fs::read_to_string(base.with_extension("md")).expect("the report is written");
    for part in [
        "diagnosis.missing_ptr",
        "set its PTR to mail.example.com",
        "ptr.missing",
        "dnsbl.listed",
        "## Appendix: transcript",
    ] {
        assert!(report.contains(part), "no {part:?} in the report:\n{report}");
    }
    let transcript = std::fs::read_to_string(base.with_extension("txt")).expect("the transcript is written");
    assert!(transcript.contains(" <** 421 4.0.0 Server error"), "{transcript}");
    assert!(transcript.contains(" ### fail diagnosis.missing_ptr: "), "{transcript}");
    assert!(base.with_extension("jsonl").is_file());
    let note =
        std::fs::read_to_string(base.with_extension("note.txt")).expect("the note for the postmaster is written");
    assert!(note.contains("mx1.bank.example (192.0.2.10) answered: 421 4.0.0 Server error"), "{note}");

    tmux.keys(&["q"]);
    tmux.assert_usable();
}

#[test]
fn a_panic_restores_the_terminal_and_keeps_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("panic.jsonl");
    let tmux =
        Tmux::start("panic", &[("MAILWIZ_TEST_PANIC_KEY", "%"), ("XDG_STATE_HOME", dir.path().to_str().unwrap())]);
    tmux.text(&format!("{} --journal {} bank.example", bin(), quote(&journal)));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard", |s| s.contains("Tab next step"));
    tmux.keys(&["n"]);
    tmux.text("written before the panic");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the note", |s| s.contains("written before the panic"));
    tmux.keys(&["%"]);
    let screen = tmux.wait_for("the panic message", |s| s.contains("test panic"));
    assert!(screen.contains("MAILWIZ_TEST_PANIC_KEY"), "{screen}");
    tmux.assert_usable();

    let events = journal_events(&journal);
    assert_eq!(events[0]["kind"], "start");
    assert_eq!(events[0]["data"]["target"], "bank.example");
    assert!(
        events.iter().any(|e| e["kind"] == "note" && e["data"]["summary"] == "written before the panic"),
        "{events:?}"
    );
}

#[test]
fn sigterm_and_sighup_end_the_session_cleanly() {
    for signal in ["TERM", "HUP"] {
        let state = tempfile::tempdir().unwrap();
        let tmux = Tmux::start(&format!("sig{signal}"), &[("XDG_STATE_HOME", state.path().to_str().unwrap())]);
        tmux.text(&format!("{} bank.example; echo exit=$?", bin()));
        tmux.keys(&["Enter"]);
        tmux.wait_for("the wizard", |s| s.contains("Tab next step"));
        tmux.keys(&["n"]);
        tmux.text("unsaved note");
        tmux.keys(&["Enter"]);
        tmux.wait_for("the note", |s| s.contains("unsaved note"));

        // The default journal is named for the process: session-<time>-<pid>.jsonl.
        let sessions = state.path().join("mailwiz/sessions");
        let journal = std::fs::read_dir(&sessions).unwrap().next().unwrap().unwrap().path();
        let name = journal.file_stem().unwrap().to_string_lossy().into_owned();
        let pid = name.rsplit('-').next().unwrap();
        let killed = Command::new("kill").args([&format!("-{signal}"), pid]).status().unwrap();
        assert!(killed.success());

        let screen = tmux.wait_for("the shell", |s| s.lines().any(|l| l.starts_with("exit=")));
        assert!(screen.lines().any(|l| l == "exit=0"), "SIG{signal} is a clean exit, not a crash:\n{screen}");
        tmux.assert_usable();
        let events = journal_events(&journal);
        assert!(events.iter().any(|e| e["kind"] == "note" && e["data"]["summary"] == "unsaved note"));
        assert_eq!(events.last().unwrap()["text"], "session ended", "SIG{signal}");
    }
}

#[test]
fn an_unwritable_state_directory_keeps_the_journal_in_memory_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("state-is-a-file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let tmux = Tmux::start("nostate", &[("XDG_STATE_HOME", not_a_dir.to_str().unwrap())]);
    tmux.text(&format!("{} bank.example", bin()));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the wizard", |s| s.contains("Tab next step"));
    assert!(screen.contains("the journal is kept in memory only"), "{screen}");
    // Saving elsewhere still works.
    let base = dir.path().join("saved");
    tmux.save_to(&base);
    assert!(std::fs::read_to_string(base.with_extension("txt")).unwrap().contains(" === mailwiz "));
    tmux.keys(&["q"]);
    tmux.assert_usable();
}

/// `mailwiz queue hold ID` on a terminal asks y/N naming the command and the count; n changes
/// nothing, y holds the message (the Postfix lab's act.test route).
#[test]
fn queue_action_on_a_terminal_asks_first() {
    if !common::postfix_lab() {
        return;
    }
    let address = common::unique("act.test", "tty");
    let id = common::queue_deferred(&address);
    let tmux = Tmux::start("ask", &[]);
    let command = format!("{} queue hold {id}", bin());
    let question = format!("Hold: run postsuper -h {id} for 1 message(s)? [y/N]");
    tmux.text(&command);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the question", |s| s.contains(&question));
    tmux.keys(&["n", "Enter"]);
    tmux.wait_for("the refusal", |s| s.contains("not confirmed; nothing was changed"));
    assert_eq!(common::queued(&address).unwrap()["queue_name"], "deferred");
    tmux.text(&command);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the question again", |s| s.matches(&question).count() == 2);
    tmux.keys(&["y", "Enter"]);
    let screen = tmux.wait_for("the result", |s| s.contains(&format!("done: hold {id}")));
    assert!(screen.contains(&format!("$ postsuper -h {id}")), "the command is shown before it runs:\n{screen}");
    assert_eq!(common::queued(&address).unwrap()["queue_name"], "hold");
    let delete = Command::new(bin()).args(["queue", "delete", &id, "--yes"]).output().unwrap();
    assert!(delete.status.success(), "{}", String::from_utf8_lossy(&delete.stderr));
}

/// At 80x24: the help scrolls to its end and lists the step's keys; `/` searches and `n` moves
/// between matches; `v` opens a finding whole, and it scrolls.
#[test]
fn help_search_and_reading_a_finding_at_80x24_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start_sized("read", &[("XDG_STATE_HOME", state.path().to_str().unwrap())], (80, 24));
    tmux.text(&format!("{} demo", bin()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard with help and quit hints", |s| {
        s.contains("┌ 1 Queue") && s.contains("? help") && s.contains("q quit")
    });

    tmux.keys(&["Enter"]);
    tmux.wait_for("the queue", |s| s.contains("▶ bank.example"));
    tmux.keys(&["?"]);
    tmux.wait_for("the help with the step's keys", |s| s.contains("Queue step") && s.contains("group by domain"));
    tmux.keys(&["End"]);
    tmux.wait_for("the end of the help", |s| s.contains("leave the input line"));
    tmux.keys(&["x"]);
    tmux.wait_for("the help closed", |s| !s.contains("leave the input line"));

    tmux.keys(&["/"]);
    tmux.wait_for("the search prompt", |s| s.lines().any(|l| l.starts_with('/')));
    tmux.text("bank");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the first match", |s| s.contains("/bank: match 1 of"));
    tmux.keys(&["n"]);
    tmux.wait_for("the second match", |s| s.contains("/bank: match 2 of"));
    tmux.keys(&["N"]);
    tmux.wait_for("back to the first match", |s| s.contains("/bank: match 1 of"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("the search ended", |s| !s.contains("/bank: match"));

    // A small terminal, so the finding is longer than the screen.
    tmux.run(&["resize-window", "-t", "0", "-x", "60", "-y", "10"]);
    tmux.keys(&["v"]);
    let first = tmux.wait_for("the finding view", |s| s.contains("Finding 1 of") && s.contains(" 1-7/"));
    tmux.keys(&["Down"]);
    tmux.wait_for("the finding scrolled", |s| s.contains(" 2-8/"));
    tmux.keys(&["End"]);
    let end = tmux.wait_for("the end of the finding", |s| s.contains("Fix"));
    assert_ne!(first, end);
    tmux.keys(&["Escape"]);
    tmux.wait_for("the finding view closed", |s| !s.contains("Finding 1 of"));

    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.contains("quit anyway"));
    tmux.keys(&["y"]);
    tmux.assert_usable();
}

#[test]
fn step_4_first_then_connect_to_a_domain_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start_sized("smtp4", &[("XDG_STATE_HOME", state.path().to_str().unwrap())], (120, 40));
    tmux.text(&format!("{} --demo bank.example", bin()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard", |s| s.contains("┌ 1 Queue"));
    // Step 4 before step 2: it looks the MX up itself.
    tmux.keys(&["4"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the probe of both MX hosts", |s| s.contains("probe: 0 of 2"));
    assert!(screen.contains("looking up the MX of bank.example"), "{screen}");
    // A domain typed at :connect goes to its MX, first by preference.
    tmux.keys(&["i"]);
    tmux.text(":connect bank.example");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the console at mx1", |s| s.contains("connecting to mx1.bank.example (192.0.2.10:25)"));
    tmux.keys(&["Escape"]);
    // An Escape followed at once by a key reads as Alt-key: the next key waits for navigation.
    tmux.wait_for("navigation", |s| s.contains("smtp> (i to type)"));

    // The log summary explains its most frequent reply over several lines: no literal "\n".
    tmux.keys(&["3"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the log summary", |s| s.contains("log.reply_code"));
    assert!(!screen.contains("\\n"), "{screen}");
    let base = state.path().join("saved/smtp4");
    tmux.save_to(&base);
    for ext in ["md", "txt"] {
        let saved = std::fs::read_to_string(base.with_extension(ext)).unwrap();
        assert!(!saved.contains("\\n"), "a literal \\n in the .{ext}:\n{saved}");
    }
    tmux.keys(&["q"]);
}

/// `o` on step 1 in a real terminal: a bounce file's path typed at `bounce>`, then a bounce's
/// text pasted the way terminals paste (tmux `paste-buffer -p`, a bracketed paste), each setting
/// the target from the bounce; a path that is no file is one sentence in the status line.
#[test]
fn a_bounce_typed_or_pasted_at_the_bounce_prompt_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let file = state.path().join("bounce.eml");
    let bounce = "From: MAILER-DAEMON@mail.example.com\nSubject: Undelivered Mail Returned to Sender\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n\
The mail system\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mail.example.com\n\n\
Final-Recipient: rfc822; accounts@bank.example\nAction: failed\nStatus: 4.0.0\n\
Diagnostic-Code: X-Postfix; host mx1.bank.example[192.0.2.10] refused to talk to me: 421 4.0.0 Server error\n\n--B--\n";
    std::fs::write(&file, bounce).unwrap();
    let tmux = Tmux::start("bounce", &[("XDG_STATE_HOME", state.path().to_str().unwrap())]);
    tmux.text(&format!("{} demo", bin()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard", |s| s.contains("┌ 1 Queue") && s.contains("Or o: start from a bounce"));

    tmux.keys(&["o"]);
    tmux.wait_for("the bounce prompt", |s| s.contains("bounce> ") && s.contains("Esc leaves"));
    tmux.text(&state.path().join("none.eml").display().to_string());
    tmux.keys(&["Enter"]);
    tmux.wait_for("the refusal", |s| s.contains("✗ the bounce ") && s.contains("none.eml cannot be read"));

    tmux.keys(&["o"]);
    tmux.wait_for("the bounce prompt again", |s| s.contains("bounce> "));
    tmux.text(&file.display().to_string());
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the bounce read", |s| s.contains("✓ Bounce ") && s.contains("target: bank.example"));
    assert!(screen.contains("the receiver said: 421 4.0.0 Server error"), "{screen}");
    assert!(screen.contains("bounce.refused"), "{screen}");

    // The same bounce pasted: the lines arrive at once, the prompt counts them, Enter reads.
    tmux.keys(&["o"]);
    tmux.wait_for("the bounce prompt for a paste", |s| s.contains("bounce> "));
    let out = tmux.run(&["set-buffer", "-b", "b", bounce]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = tmux.run(&["paste-buffer", "-p", "-b", "b", "-t", "0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tmux.wait_for("the pasted lines counted", |s| s.contains("line(s) pasted") && s.contains("bounce ("));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the pasted bounce read", |s| s.contains("✓ Bounce the pasted text read"));

    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.contains("quit anyway"));
    tmux.keys(&["y"]);
    tmux.assert_usable();
}

/// The main pane's columns of each line of an 80-column screen (the step list is 7 columns
/// wide, the main pane 50).
fn main_pane_80(screen: &str) -> Vec<String> {
    screen.lines().map(|l| l.chars().skip(7).take(50).collect()).collect()
}

/// At 80x24: `v` in step 7 opens the cause being read, `PgDn` reads cause 1 to its last action,
/// a search scrolls its match into view, and step 4 shows the server's words under mx1.
#[test]
fn reading_the_diagnosis_and_the_probe_at_80x24_in_tmux() {
    let state = tempfile::tempdir().unwrap();
    let tmux = Tmux::start_sized("read7", &[("XDG_STATE_HOME", state.path().to_str().unwrap())], (80, 24));
    tmux.text(&format!("{} --demo bank.example", bin()));
    tmux.keys(&["Enter"]);
    tmux.wait_for("the wizard", |s| s.contains("┌ 1 Queue"));
    tmux.keys(&["7"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the diagnosis", |s| s.contains("Why mail to bank.example is stuck"));

    tmux.keys(&["v"]);
    tmux.wait_for("the cause read whole", |s| s.contains("diagnosis.missing_ptr") && s.contains("Esc"));
    tmux.keys(&["Escape"]);
    tmux.wait_for("navigation", |s| s.contains("Why mail to bank.example is stuck"));

    // PgDn reads the open cause to its last action; the position says how far it has gone.
    let mut screen = tmux.screen();
    for _ in 0..10 {
        if screen.contains("smtp_helo_name") {
            break;
        }
        let position = |s: &str| s.lines().rev().find(|l| l.contains('/') && l.contains(" ┘")).map(str::to_string);
        let before = position(&screen);
        tmux.keys(&["NPage"]);
        screen = tmux.wait_for("the next page", |s| position(s) != before);
    }
    assert!(screen.contains("smtp_helo_name"), "PgDn never reached cause 1's last action:\n{screen}");

    tmux.keys(&["/"]);
    tmux.wait_for("the search prompt", |s| s.lines().any(|l| l.starts_with('/')));
    tmux.text("spamhaus");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the first match", |s| s.contains("/spamhaus: match 1 of"));
    assert!(main_pane_80(&screen).iter().any(|l| l.contains("spamhaus")), "the match is not in view:\n{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the search ended", |s| !s.contains("/spamhaus: match"));

    tmux.keys(&["4"]);
    let screen = tmux.wait_for("the probe rows", |s| s.contains("┌ 4 SMTP") && s.contains("mx2.bank.example (192"));
    let pane = main_pane_80(&screen);
    let at = |what: &str| pane.iter().position(|l| l.contains(what));
    let (mx1, words, mx2) =
        (at("mx1.bank.example (192"), at("<** 421 4.0.0 Server error"), at("mx2.bank.example (192"));
    assert!(mx1 < words && words < mx2 && mx1.is_some(), "the server's words are not under mx1:\n{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the quit question", |s| s.contains("quit anyway"));
    tmux.keys(&["y"]);
    tmux.assert_usable();
}
