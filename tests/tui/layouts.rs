//! The demo story's steps 1, 4 and 7 at three terminal sizes (`TestBackend` snapshots), and no
//! word cut at a pane's edge in any step at 80x24.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use mailwiz::config::Config;
use mailwiz::context::Context;
use mailwiz::session::Session;
use mailwiz::tui::runtime::run_to_idle;
use mailwiz::tui::{App, Msg, render_to_string, update};

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The demo story with every step run (step 7 runs the others), on a terminal of `size`.
async fn story(size: (u16, u16)) -> App {
    let ctx = mailwiz::demo::attach(Context::new(Config::default())).await.unwrap();
    let mut session = Session::new(ctx.journal.clone());
    session.target = Some(mailwiz::session::Target::parse("bank.example").unwrap());
    let mut app = App::new(ctx, session);
    update(&mut app, Msg::Resize(size.0, size.1));
    update(&mut app, key(KeyCode::Char('7')));
    let cmds = update(&mut app, key(KeyCode::Enter));
    run_to_idle(&mut app, cmds).await;
    app
}

/// `screen` without what differs from run to run: times, timings, the demo's port and directory.
fn steady(screen: &str) -> String {
    let timings = regex::Regex::new(r"\b\d+ ms\b").unwrap();
    let port = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let dir = regex::Regex::new(r"mailwiz-demo-\w{6}").unwrap();
    let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d").unwrap();
    let screen = time.replace_all(screen, "YYYY-MM-DDThh:mm:ss+00:00");
    let screen = in_place(&screen, &timings, "N ms");
    let screen = in_place(&screen, &port, "127.0.0.1:PORT");
    dir.replace_all(&screen, "mailwiz-demo-XXXXXX").into_owned()
}

/// `screen` with `re`'s matches replaced by `with`, a line that shrank padded before the next
/// pane border so the borders stay put (a time of two digits reads as one of one).
fn in_place(screen: &str, re: &regex::Regex, with: &str) -> String {
    const PAD: char = '\u{0}';
    let marked = re.replace_all(screen, |c: &regex::Captures| {
        let shrunk = c[0].chars().count().saturating_sub(with.chars().count());
        format!("{with}{}", PAD.to_string().repeat(shrunk))
    });
    let mut out = String::new();
    let mut pending = 0;
    for ch in marked.chars() {
        match ch {
            PAD => pending += 1,
            '│' | '\n' => {
                out.extend(std::iter::repeat_n(' ', pending));
                pending = 0;
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out.extend(std::iter::repeat_n(' ', pending));
    out
}

#[tokio::test]
async fn steps_1_4_and_7_at_three_sizes() {
    for (width, height) in [(80, 24), (100, 30), (200, 50)] {
        let mut app = story((width, height)).await;
        for step in ['1', '4', '7'] {
            update(&mut app, key(KeyCode::Char(step)));
            let name = format!("demo_step_{step}_at_{width}x{height}");
            insta::assert_snapshot!(name, steady(&render_to_string(&app, width, height)));
        }
    }
}

/// The places on `screen` where a word runs over a pane's right edge: a letter or digit in the
/// pane's last column and another in the first column of the line below, or a URL that reaches
/// the edge mid-word. `panes` are the (first, last) inner columns of each pane.
fn cuts(screen: &str, panes: &[(usize, usize)]) -> Vec<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
    let mut found = Vec::new();
    for pair in lines.windows(2) {
        for &(first, last) in panes {
            let line: String = pair[0].get(first..=last).map(|cs| cs.iter().collect()).unwrap_or_default();
            let url_at_edge = line.split(' ').next_back().is_some_and(|tail| tail.contains("://"));
            if word(pair[0].get(last)) && (word(pair[1].get(first)) || url_at_edge) {
                let below: String = pair[1].get(first..=last).map(|cs| cs.iter().collect()).unwrap_or_default();
                found.push(format!("{line:?} / {below:?}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_word_is_cut_at_a_panes_edge_at_80x24() {
    let mut app = story((80, 24)).await;
    let regions = mailwiz::tui::layout::regions(ratatui::layout::Rect::new(0, 0, 80, 24), false);
    let inner = |r: ratatui::layout::Rect| (usize::from(r.x) + 1, usize::from(r.x + r.width) - 2);
    let panes = [inner(regions.main), inner(regions.findings)];
    let mut pages = 0;
    for step in ['1', '2', '3', '4', '5', '6', '7'] {
        update(&mut app, key(KeyCode::Char(step)));
        // Every page of the step, to its end.
        let mut last = String::new();
        for _ in 0..40 {
            let screen = render_to_string(&app, 80, 24);
            if screen == last {
                break;
            }
            let found = cuts(&screen, &panes);
            assert!(found.is_empty(), "step {step}: a word cut at the edge: {found:#?}\n{screen}");
            pages += 1;
            update(&mut app, key(KeyCode::PageDown));
            last = screen;
        }
    }
    assert!(pages > 7, "every step has at least one page: {pages}");
    // The scan finds what it looks for.
    let cut = "│abc││\n│def││\n";
    assert_eq!(cuts(cut, &[(1, 3)]).len(), 1);
    assert!(cuts("│ab ││\n│def││\n", &[(1, 3)]).is_empty());
}
