//! The code template: it compiles, names only questions, and shows the hash as is.
use std::collections::HashSet;

use super::Checker;
use crate::ciu::CiuTemplate;
use crate::flow::definition::*;

impl Checker {
    pub(super) fn compile_template(&mut self, def: &FlowDef) -> Option<CiuTemplate> {
        let template = match CiuTemplate::new(
            &def.ciu.template,
            def.ciu.hash.length,
            def.ciu.hash.alphabet,
        ) {
            Ok(t) => t,
            Err(e) => {
                self.error("ciu.template", format!("le modèle du CIU est mal écrit ({e}). Les variables s'écrivent {{{{ id_de_question }}}}."));
                return None;
            }
        };
        let step_ids: HashSet<&str> = def.steps.iter().map(|s| s.id.as_str()).collect();
        let mut unknown: Vec<String> = template
            .variables()
            .into_iter()
            .filter(|v| v != "hash" && !step_ids.contains(v.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            self.error(
                "ciu.template",
                format!("le modèle utilise « {name} », qui n'est l'id d'aucune question. Ids possibles : {}, hash.", def.steps.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(", ")),
            );
        }
        let sample_hash: String = "ABCDEFABCDEFABCDEFABCDEFABCDEFAB"
            .chars()
            .take(def.ciu.hash.length)
            .collect();
        let sample: std::collections::BTreeMap<String, String> = def
            .steps
            .iter()
            .map(|s| (s.id.clone(), "W".into()))
            .collect();
        match template.render(&sample, &sample_hash) {
            Ok(code) if code.contains(&sample_hash) => {}
            Ok(_) => self.error("ciu.template", "le modèle doit afficher {{ hash }} tel quel (sans filtre ni condition) : sans lui, deux personnes aux mêmes lettres auraient le même code."),
            // Unknown variables were reported above.
            Err(_) if !template.variables().iter().all(|v| v == "hash" || step_ids.contains(v.as_str())) => {}
            Err(e) => self.error("ciu.template", format!("le modèle ne peut pas être rendu ({e}).")),
        }
        Some(template)
    }
}
