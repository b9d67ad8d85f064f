//! The code template: it compiles, and holds only text and plain `{{ name }}`
//! placeholders naming a question or the hash, which it shows (see
//! [`CiuTemplate::problems`]: minijinja's parse of the template, not a sample rendering).
use super::Checker;
use crate::code::CiuTemplate;
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
        let step_ids: Vec<&str> = def.steps.iter().map(|s| s.id.as_str()).collect();
        // Each problem at the line of `template:`; the message says where in the template.
        for problem in template.problems(&step_ids) {
            self.error("ciu.template", problem.message);
        }
        Some(template)
    }
}
