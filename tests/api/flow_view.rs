//! The console's flow page (GET /console/flux) over HTTP: it checks the files on disk
//! at each request, so an officer who edits the flow file while the service runs sees
//! there, before restarting, a change of codes or an error with its line.

use crate::common::for_each_database;
use crate::edited_flow::shipped_flow_text;
use crate::helpers::{spawn_app, SALT};

const PASSWORD: &str = "Console-Flow-Test-2026";

/// A signed-in console client.
async fn signed_in(address: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = client
        .get(format!("{address}/console/connexion"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf\" value=\"";
    let start = login.find(marker).expect("a form token") + marker.len();
    let token = login[start..].split('"').next().unwrap().to_owned();
    let answer = client
        .post(format!("{address}/console/connexion"))
        .form(&[("password", PASSWORD), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303, "signed in");
    client
}

async fn flow_page(client: &reqwest::Client, address: &str) -> String {
    let response = client
        .get(format!("{address}/console/flux"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.len() < 150 * 1024, "{} bytes", page.len());
    assert!(!page.contains(SALT), "the salt is never shown");
    page
}

#[tokio::test]
async fn the_page_checks_the_files_on_disk_at_each_request() {
    for_each_database(|url| async move {
        let dir = tempfile::tempdir().unwrap();
        let flow_file = dir.path().join("ciu.yaml");
        let shipped = shipped_flow_text();
        std::fs::write(&flow_file, &shipped).unwrap();
        let flow_path = flow_file.display().to_string();
        let app = spawn_app(
            &url,
            &[
                ("CONSOLE_PASSWORD", PASSWORD),
                ("FLOW_PATH", flow_path.as_str()),
            ],
        )
        .await;
        let client = signed_in(&app.address).await;

        let page = flow_page(&client, &app.address).await;
        assert!(page.contains("Les codes ne changent pas"), "{page}");
        assert!(page.contains("Obotama na mobu nini?"));
        assert!(page.contains("Année en 4 chiffres, entre 1900 et l&#x27;année en cours"));
        assert!(
            page.contains("985-KINS-15-JEA-KABI-"),
            "the guide's example code"
        );

        // A longer hash: every code would change.
        std::fs::write(
            &flow_file,
            shipped.replace("hash: { length: 5,", "hash: { length: 6,"),
        )
        .unwrap();
        let page = flow_page(&client, &app.address).await;
        assert!(
            page.contains("ATTENTION : ces fichiers changeraient les codes"),
            "{page}"
        );

        // A key that has no meaning: an error, with its line, and no restart possible.
        let broken = shipped.replace("type: day_of_month }", "type: day_of_month, max: 28 }");
        std::fs::write(&flow_file, broken).unwrap();
        let page = flow_page(&client, &app.address).await;
        assert!(page.contains("class=\"sev-error\""), "{page}");
        // Autoescaping writes `/` as `&#x2f;`.
        let place = format!("{}:", flow_path.replace('/', "&#x2f;"));
        assert!(page.contains(&place), "the file and its line: {page}");
        assert!(
            page.contains("la clé « max » n&#x27;a pas de sens ici"),
            "{page}"
        );
        assert!(page.contains("Impossible de dire si les codes changeraient"));
        // The running flow is still shown as it runs.
        assert!(page.contains("Jour du mois en chiffres, de 1 à 31"));
    })
    .await;
}
