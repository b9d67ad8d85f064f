//! `ciu salt`: prints a new strong salt for `UIC_SALT`.

use std::process::ExitCode;

use ciu::code::Salt;

pub fn run() -> ExitCode {
    let salt = Salt::generate();
    println!("Sel généré (longueur : {} caractères) :", salt.len());
    println!();
    println!("{salt}");
    println!();
    println!("Ajoutez-le à votre fichier .env :");
    println!("UIC_SALT=\"{salt}\"");
    println!();
    println!("Gardez-le secret et ne le committez jamais. Changer le sel change tous les codes générés ensuite.");
    ExitCode::SUCCESS
}
