//! flows/keep-apart.yaml: pairs of really different names that no rule may merge.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::parse::yaml_error;
use crate::diagnostics::{Diagnostic, Position};
use crate::flow::source_map::SourceMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeepApartPair {
    pub rule_set: String,
    pub first: String,
    pub second: String,
    pub position: Option<Position>,
}

#[derive(Debug, Clone, Default)]
pub struct KeepApart {
    pub path: PathBuf,
    pub pairs: Vec<KeepApartPair>,
}

impl KeepApart {
    /// The file maps a rule set's name to its pairs: `family_names: [[Kasanga, Kasongo]]`.
    pub fn parse(path: &Path, text: &str) -> Result<KeepApart, Vec<Diagnostic>> {
        let map = SourceMap::build(text);
        let file: BTreeMap<String, Vec<Vec<String>>> =
            serde_yaml::from_str(text).map_err(|e| vec![yaml_error(path, &e)])?;
        let mut pairs = Vec::new();
        let mut errors = Vec::new();
        for (rule_set, listed) in file {
            for (index, names) in listed.into_iter().enumerate() {
                let position = map.find(&format!("{rule_set}[{index}]"));
                match <[String; 2]>::try_from(names) {
                    Ok([first, second]) => pairs.push(KeepApartPair {
                        rule_set: rule_set.clone(),
                        first,
                        second,
                        position,
                    }),
                    Err(names) => errors.push(Diagnostic::error(
                        path,
                        position,
                        format!(
                            "une paire s'écrit avec deux noms, [Kasanga, Kasongo] ; ici {} nom(s).",
                            names.len()
                        ),
                    )),
                }
            }
        }
        if errors.is_empty() {
            Ok(KeepApart {
                path: path.to_path_buf(),
                pairs,
            })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_their_set_and_line() {
        let text = "family_names:\n  - [Kasanga, Kasongo]\nfirst_names:\n  - [Jean, Jeanne]\n";
        let keep = KeepApart::parse(Path::new("k.yaml"), text).unwrap();
        assert_eq!(keep.pairs.len(), 2);
        let jean = keep.pairs.iter().find(|p| p.first == "Jean").unwrap();
        assert_eq!(jean.rule_set, "first_names");
        assert_eq!(jean.position.unwrap().line, 4);
    }

    #[test]
    fn a_pair_of_three_is_refused_at_its_line() {
        let errors = KeepApart::parse(Path::new("k.yaml"), "a:\n  - [X, Y, Z]\n").unwrap_err();
        assert_eq!(errors[0].line, Some(2));
        assert!(errors[0].message.contains("ici 3 nom(s)"));
    }
}
