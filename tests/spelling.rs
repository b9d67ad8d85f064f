//! The shipped spelling data (flows/spelling.yaml, flows/places.yaml,
//! flows/keep-apart.yaml) against the corpus in tests/spelling/.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ciu::flow::spelling::Spelling;
use ciu::normalize::normalize;

/// At most 1 % of tests/spelling/distinct.txt may share a canonical form with another
/// name: two people whose names merge would differ only by the other answers, and
/// the phonetic encoders this replaces merge far more (see the Soundex test).
const MAX_DISTINCT_MERGES_PER_CENT: usize = 1;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spelling() -> Spelling {
    Spelling::load(&root().join("flows")).unwrap_or_else(|errors| {
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        panic!(
            "the shipped spelling files do not load:\n{}",
            text.join("\n")
        )
    })
}

fn canonical(spelling: &Spelling, set: &str, answer: &str) -> String {
    spelling
        .canonicalizer(set)
        .unwrap_or_else(|| panic!("no rule set {set}"))
        .canonical(&normalize(answer))
}

/// Tab-separated rows of a corpus file, without comments and blank lines.
fn rows(name: &str) -> Vec<Vec<String>> {
    let path = root().join("tests/spelling").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .inspect(|row| assert_eq!(row.len(), 3, "{name}: {row:?}"))
        .collect()
}

/// distinct.txt: `[set]` headers, then one name per line.
fn distinct() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("tests/spelling/distinct.txt")).unwrap();
    let mut sets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(set) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = set.to_owned();
        } else if !line.is_empty() && !line.starts_with('#') {
            sets.entry(current.clone())
                .or_default()
                .push(line.to_owned());
        }
    }
    sets
}

/// Every (set, word) of the three corpus files.
fn every_word() -> Vec<(String, String)> {
    let mut words = Vec::new();
    for row in rows("merge.tsv").into_iter().chain(rows("apart.tsv")) {
        words.push((row[0].clone(), row[1].clone()));
        words.push((row[0].clone(), row[2].clone()));
    }
    for (set, names) in distinct() {
        words.extend(names.into_iter().map(|n| (set.clone(), n)));
    }
    words
}

#[test]
fn the_shipped_files_pass_their_own_checks() {
    let diagnostics = spelling().check();
    let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(text.is_empty(), "{}", text.join("\n"));
}

#[test]
fn every_variant_of_the_merge_corpus_gives_its_base_form() {
    let spelling = spelling();
    let rows = rows("merge.tsv");
    let mut by_set: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for row in &rows {
        let (set, variant, base) = (&row[0], &row[1], &row[2]);
        let (got, want) = (
            canonical(&spelling, set, variant),
            canonical(&spelling, set, base),
        );
        let count = by_set.entry(set).or_default();
        count.1 += 1;
        if got == want {
            count.0 += 1;
        } else {
            failures.push(format!("{set}: {variant} → {got}, but {base} → {want}"));
        }
    }
    for (set, (merged, total)) in &by_set {
        println!("merge.tsv {set}: {merged} of {total} variants give the base form");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let names = by_set["family_names"].1 + by_set["first_names"].1;
    assert!(
        names >= 150 && by_set["places"].1 >= 60,
        "corpus too small: {by_set:?}"
    );
}

#[test]
fn every_pair_of_the_apart_corpus_stays_apart() {
    let spelling = spelling();
    let rows = rows("apart.tsv");
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|row| {
            let (set, a, b) = (&row[0], &row[1], &row[2]);
            let form = canonical(&spelling, set, a);
            (form == canonical(&spelling, set, b)).then(|| format!("{set}: {a} and {b} → {form}"))
        })
        .collect();
    println!(
        "apart.tsv: {} of {} pairs stay apart",
        rows.len() - failures.len(),
        rows.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(rows.len() >= 80);
}

/// Case, accents (precomposed and combining), spaces, hyphens and apostrophes.
fn formatting_variants(word: &str) -> Vec<String> {
    let accented: String = word
        .chars()
        .map(|c| match c {
            'e' => 'é',
            'a' => 'à',
            'E' => 'È',
            'o' => 'ô',
            'i' => 'ï',
            c => c,
        })
        .collect();
    let combining: String = word
        .chars()
        .flat_map(|c| {
            let mark = "aeiouAEIOU".contains(c).then_some('\u{301}');
            std::iter::once(c).chain(mark)
        })
        .collect();
    let middle = word
        .char_indices()
        .nth(word.chars().count() / 2)
        .map_or(0, |(i, _)| i);
    vec![
        word.to_lowercase(),
        word.to_uppercase(),
        format!("  {word} "),
        accented,
        combining,
        format!("{}-{}", &word[..middle], &word[middle..]),
        format!("{} {}", &word[..middle], &word[middle..]),
        format!("{}'{}", &word[..middle], &word[middle..]),
    ]
}

#[test]
fn formatting_never_changes_the_canonical_form() {
    let spelling = spelling();
    for (set, word) in every_word() {
        let want = canonical(&spelling, &set, &word);
        for variant in formatting_variants(&word) {
            assert_eq!(
                canonical(&spelling, &set, &variant),
                want,
                "{set}: {word:?} / {variant:?}"
            );
        }
    }
}

#[test]
fn canonicalisation_is_idempotent_on_the_whole_corpus() {
    let spelling = spelling();
    for (set, word) in every_word() {
        let canonicalizer = spelling.canonicalizer(&set).unwrap();
        let once = canonicalizer.canonical(&normalize(&word));
        assert_eq!(canonicalizer.canonical(&once), once, "{set}: {word}");
        let trace = canonicalizer.rules().trace(&normalize(&word));
        assert!(trace.fixpoint, "{set}: {word} has no fixpoint");
    }
}

/// Names of `names` whose canonical form another name of `names` also has.
fn merged_names(names: &[String], form: impl Fn(&str) -> String) -> Vec<(String, Vec<String>)> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let group = groups.entry(form(name)).or_default();
        if !group.iter().any(|n| normalize(n) == normalize(name)) {
            group.push(name.clone());
        }
    }
    groups.into_iter().filter(|(_, g)| g.len() > 1).collect()
}

#[test]
fn distinct_names_almost_never_merge() {
    let spelling = spelling();
    let mut merged_total = 0;
    let mut total = 0;
    for (set, names) in distinct() {
        let merged = merged_names(&names, |n| canonical(&spelling, &set, n));
        let count: usize = merged.iter().map(|(_, g)| g.len()).sum();
        println!(
            "distinct.txt {set}: {count} of {} distinct names merge with another",
            names.len()
        );
        for (form, group) in &merged {
            println!("  {form}: {}", group.join(", "));
        }
        merged_total += count;
        total += names.len();
    }
    println!("distinct.txt: {merged_total} of {total} distinct names merge with another");
    assert!(total >= 300);
    assert!(merged_total * 100 <= total * MAX_DISTINCT_MERGES_PER_CENT);
}

/// American Soundex, to show why a phonetic code is not used: it keeps one letter
/// and three consonant classes, so Bantu names differing by a vowel or a close
/// consonant merge.
fn soundex(name: &str) -> String {
    let code = |c: char| match c {
        'B' | 'F' | 'P' | 'V' => '1',
        'C' | 'G' | 'J' | 'K' | 'Q' | 'S' | 'X' | 'Z' => '2',
        'D' | 'T' => '3',
        'L' => '4',
        'M' | 'N' => '5',
        'R' => '6',
        _ => '0',
    };
    let letters: Vec<char> = normalize(name)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .collect();
    let Some(first) = letters.first() else {
        return String::new();
    };
    let mut out = first.to_string();
    let mut last = code(*first);
    for &c in &letters[1..] {
        let digit = code(c);
        if digit != '0' && digit != last {
            out.push(digit);
        }
        if c != 'H' && c != 'W' {
            last = digit;
        }
    }
    format!("{out:0<4}").chars().take(4).collect()
}

#[test]
fn soundex_would_merge_far_more_distinct_names() {
    let spelling = spelling();
    let names = &distinct()["family_names"];
    let ours: usize = merged_names(names, |n| canonical(&spelling, "family_names", n))
        .iter()
        .map(|(_, g)| g.len())
        .sum();
    let theirs: usize = merged_names(names, soundex)
        .iter()
        .map(|(_, g)| g.len())
        .sum();
    println!(
        "family names: Soundex merges {theirs} of {}, these rules {ours}",
        names.len()
    );
    assert_eq!(soundex("Kasanga"), soundex("Kasongo"));
    assert!(theirs > 10 * ours.max(1));
}

#[test]
fn the_guides_example_code_does_not_move() {
    let spelling = spelling();
    assert!(canonical(&spelling, "places", "Kinshasa").starts_with("KINS"));
    assert!(canonical(&spelling, "places", "Léopoldville").starts_with("KINS"));
    assert!(canonical(&spelling, "first_names", "Jean").starts_with("JEA"));
    assert!(canonical(&spelling, "family_names", "Kabila").starts_with("KABI"));
    assert!(canonical(&spelling, "family_names", "Kabilla").starts_with("KABI"));
}

#[test]
fn an_unlisted_place_still_gets_the_spelling_rules() {
    let spelling = spelling();
    assert_eq!(canonical(&spelling, "places", "Tchibombo"), "TSHIBOMBO");
    assert_eq!(
        canonical(&spelling, "places", "Kassoumbalesa"),
        "KASUMBALESA"
    );
}

/// The shipped files with one edit, parsed and checked.
fn check_edited(file: &str, edit: impl Fn(&str) -> String) -> Vec<String> {
    let flows = root().join("flows");
    let read = |name: &str| {
        let text = std::fs::read_to_string(flows.join(name)).unwrap();
        if name == file {
            edit(&text)
        } else {
            text
        }
    };
    let (rules, places, keep) = (
        read("spelling.yaml"),
        read("places.yaml"),
        read("keep-apart.yaml"),
    );
    let paths =
        ["spelling.yaml", "places.yaml", "keep-apart.yaml"].map(|n| Path::new(n).to_owned());
    let spelling = Spelling::parse(
        (&paths[0], &rules),
        (&paths[1], &places),
        (&paths[2], &keep),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    spelling.check().iter().map(ToString::to_string).collect()
}

fn line_of(file: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(root().join("flows").join(file)).unwrap();
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn a_rule_that_merges_a_keep_apart_pair_is_named() {
    let anchor = "    - { from: DJ, to: J }\n";
    let errors = check_edited("spelling.yaml", |t| {
        t.replacen(anchor, &format!("{anchor}    - {{ from: O, to: A }}\n"), 1)
    });
    let rule_line = line_of("spelling.yaml", "{ from: DJ, to: J }") + 1;
    let pair_line = line_of("keep-apart.yaml", "[Kasanga, Kasongo]");
    let expected = format!("keep-apart.yaml:{pair_line}:");
    let error = errors
        .iter()
        .find(|e| e.starts_with(&expected))
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(
        error.contains("« Kasanga » et « Kasongo » doivent rester distincts"),
        "{error}"
    );
    assert!(
        error.contains(&format!("la règle de la ligne {rule_line}")),
        "{error}"
    );
}

#[test]
fn a_rule_consumed_by_an_earlier_one_and_a_loop_are_reported() {
    let errors = check_edited("spelling.yaml", |t| {
        t.replacen(
            "    - { from: TCH, to: TSH }\n",
            "    - { from: CH, to: SH }\n    - { from: TCH, to: TSH }\n",
            1,
        )
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("ne peut jamais s'appliquer") && e.contains("TCH")),
        "{errors:?}"
    );
    let errors = check_edited("spelling.yaml", |t| {
        t.replacen(
            "    - { from: PH, to: F }\n",
            "    - { from: PH, to: F }\n    - { from: F, to: PH }\n",
            1,
        )
    });
    assert!(
        errors.iter().any(|e| e.contains("tournent en rond")),
        "{errors:?}"
    );
}

#[test]
fn an_alias_of_two_places_and_a_colliding_alias_are_reported() {
    let errors = check_edited("places.yaml", |t| {
        t.replacen(
            "aliases: [Kuango, Kouango]",
            "aliases: [Kuango, Kouango, Kin]",
            1,
        )
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("« Kin » désigne déjà « Kinshasa »")),
        "{errors:?}"
    );
    let errors = check_edited("places.yaml", |t| {
        t.replacen(
            "aliases: [Kuango, Kouango]",
            "aliases: [Kuango, Kouango, Kinnshasa]",
            1,
        )
    });
    assert!(
        errors
            .iter()
            .any(|e| e.contains("les deux lieux seraient confondus")),
        "{errors:?}"
    );
}
