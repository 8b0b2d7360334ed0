//! Dispatcher speed: one message through the RegexSet over the real commands/ plus 100
//! synthetic patterns, and argument parsing. Target (issue 3): under 2 µs per message.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use hipboard::handlers::Call;
use hipboard::handlers::Registry;

fn registry() -> Registry {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("commands");
    let mut sources: Vec<(PathBuf, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    for i in 0..100 {
        sources.push((
            PathBuf::from(format!("synthetic/cmd{i}.toml")),
            format!(
                "name = \"cmd{i}\"\nkind = \"command\"\npattern = '(?i)^\\s*/cmd{i}(\\s|$)'\nusage = \"/cmd{i}\"\nhelp = \"x\"\nhandler = \"help\"\n"
            ),
        ));
    }
    Registry::from_sources(sources).unwrap()
}

fn bench(c: &mut Criterion) {
    let registry = registry();
    let link_message =
        "please look at https://dynaboard.example.com/browse/DB-12 before the release";
    let long: String = "all quiet on the support front "
        .repeat(400)
        .chars()
        .take(10_000)
        .collect();
    let messages = [
        ("command", "/issue DB-12"),
        (
            "chatter",
            "has anyone seen the deploy logs from this morning?",
        ),
        ("link", link_message),
        ("synthetic command", "/cmd77 with some arguments"),
        ("10k chatter", long.as_str()),
    ];
    let mut group = c.benchmark_group("dispatch");
    for (name, text) in messages {
        group.bench_function(name, |b| {
            b.iter(|| {
                let hit = registry.dispatch(black_box(text));
                if let Some(hit) = hit {
                    black_box(Call::parse(hit.command.handler, hit.args).ok());
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
