//! The flow's spelling data (`spelling:` at the top of the flow file) and each step's
//! choice of rule set (`spelling:` in a step). The files and their checks are in
//! src/flow/spelling/; here they are read next to the flow file and attached to steps.

use std::path::{Path, PathBuf};

use super::Checker;
use crate::flow::definition::{FlowDef, StepDef};
use crate::flow::spelling::{Canonicalizer, Spelling};

impl Checker {
    /// Reads and checks the three spelling files the flow names, relative to the flow
    /// file; `None` when the flow has none or one of them is unreadable or wrong.
    pub(super) fn load_spelling(&mut self, def: &FlowDef) -> Option<Spelling> {
        let files = def.spelling.as_ref()?;
        let dir = self.file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let rules = self.read_spelling_file(&dir, &files.rules, "spelling.rules");
        let places = self.read_spelling_file(&dir, &files.places, "spelling.places");
        let keep = self.read_spelling_file(&dir, &files.keep_apart, "spelling.keep_apart");
        let (rules, places, keep) = (rules?, places?, keep?);
        match Spelling::parse(
            (&rules.0, &rules.1),
            (&places.0, &places.1),
            (&keep.0, &keep.1),
        ) {
            Ok(spelling) => {
                self.diagnostics.extend(spelling.check());
                Some(spelling)
            }
            Err(diagnostics) => {
                self.diagnostics.extend(diagnostics);
                None
            }
        }
    }

    fn read_spelling_file(
        &mut self,
        dir: &Path,
        name: &str,
        flow_path: &str,
    ) -> Option<(PathBuf, String)> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some((path, text)),
            Err(e) => {
                self.error(
                    flow_path,
                    format!(
                        "impossible de lire le fichier d'orthographe {} ({e}) : le nom s'écrit relativement au dossier de ce flux (ex. spelling.yaml, places.yaml, keep-apart.yaml).",
                        path.display()
                    ),
                );
                None
            }
        }
    }

    /// The canonicalizer a step asks for with `spelling: <rule set>`.
    pub(super) fn step_spelling(
        &mut self,
        path: &str,
        step: &StepDef,
        def: &FlowDef,
        spelling: Option<&Spelling>,
    ) -> Option<Canonicalizer> {
        let name = step.spelling.as_deref()?;
        let at = format!("{path}.spelling");
        let Some(spelling) = spelling else {
            // Unreadable or wrong spelling files were reported where they are.
            if def.spelling.is_none() {
                self.error(&at, format!(
                    "la question demande les règles d'orthographe « {name} », mais le flux ne dit pas où elles sont : ajoutez au fichier (après le bloc ciu:, comme dans le flux livré)\n  spelling:\n    rules: spelling.yaml\n    places: places.yaml\n    keep_apart: keep-apart.yaml"
                ));
            }
            return None;
        };
        let canonicalizer = spelling.canonicalizer(name);
        if canonicalizer.is_none() {
            self.error(&at, format!(
                "le jeu de règles « {name} » n'existe pas dans le fichier d'orthographe. Jeux disponibles : {}.",
                spelling.rules.names().join(", ")
            ));
        }
        canonicalizer
    }
}
